#include "support/root_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/fs.h"

namespace pgreplica::testing {

std::string WriteConfigFile(const Workspace& ws, const std::string& name, const std::string& text) {
  if (geteuid() != 0) return ws.WriteFile(name, text);
  // One directory per test process, made on first use and removed when it exits.
  static TempDir* dir = [] {
    auto d = TempDir::Create("/tmp", "pgreplica-it-etc-");
    if (!d || chmod(d->path().c_str(), 0755) != 0) {
      fprintf(stderr, "could not create a root-owned configuration directory\n");
      std::abort();
    }
    static TempDir owned = std::move(*d);
    return &owned;
  }();
  // Names are unique per workspace; the workspace path keeps them unique per process.
  std::string flat = ws.path() + "-" + name;
  for (char& c : flat)
    if (c == '/') c = '_';
  std::string path = dir->path() + "/" + flat;
  if (!WriteFileAtomic(path, text, 0600, Owner{0, 0})) {
    fprintf(stderr, "could not write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace pgreplica::testing
