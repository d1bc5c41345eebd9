#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "support/snapshot.h"

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::testing {

namespace fs = std::filesystem;

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Reads a /proc/<pid>/ file. The process may exit while we read; read(2) then
// fails with ESRCH, where libstdc++'s filebuf would throw. A process that is
// gone shows nothing, which is the truth.
std::string SlurpProcFile(const std::string& path) { return ReadFile(path).value_or(""); }

// Visits the numeric entries of /proc without throwing when processes come
// and go during the scan.
template <typename F>
void ForEachProcess(F&& f) {
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::end(it); it.increment(ec)) {
    std::string pid = it->path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    if (f(pid, it->path().string())) return;
  }
}
}  // namespace

Snapshot TakeSnapshot(const std::string& dir) {
  Snapshot s;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string data = Slurp(it->path().string());
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
    s[fs::relative(it->path(), dir).string()] = h;
  }
  return s;
}

std::string DescribeDifference(const Snapshot& before, const Snapshot& after) {
  std::string out;
  for (const auto& [path, h] : before) {
    auto it = after.find(path);
    if (it == after.end())
      out += "removed: " + path + "\n";
    else if (it->second != h)
      out += "changed: " + path + "\n";
  }
  for (const auto& [path, h] : after)
    if (!before.count(path)) out += "added: " + path + "\n";
  return out;
}

TreeSnapshot TakeTreeSnapshot(const std::string& dir, const std::vector<std::string>& skip) {
  TreeSnapshot s;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string rel = fs::relative(it->path(), dir).string();
    bool skipped = false;
    for (const auto& p : skip) skipped |= rel.rfind(p, 0) == 0;
    if (skipped) {
      if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    s[rel] =
        fmt::format("mode {:o} uid {} gid {} size {} mtime {}.{}", st.st_mode, st.st_uid, st.st_gid,
                    S_ISDIR(st.st_mode) ? 0 : st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  return s;
}

std::string DescribeDifference(const TreeSnapshot& before, const TreeSnapshot& after) {
  std::string out;
  for (const auto& [path, v] : before) {
    auto it = after.find(path);
    if (it == after.end())
      out += "removed: " + path + "\n";
    else if (it->second != v)
      out += "changed: " + path + " (" + v + " -> " + it->second + ")\n";
  }
  for (const auto& [path, v] : after)
    if (!before.count(path)) out += "added: " + path + "\n";
  return out;
}

bool AnyProcessShows(const std::string& needle, std::string* where) {
  bool found = false;
  ForEachProcess([&](const std::string& pid, const std::string& dir) {
    for (const char* file : {"/cmdline", "/environ"}) {
      if (SlurpProcFile(dir + file).find(needle) != std::string::npos) {
        if (where) *where = pid + file;
        found = true;
        return true;
      }
    }
    return false;
  });
  return found;
}

int FindProcess(const std::vector<std::string>& parts) {
  int found = 0;
  ForEachProcess([&](const std::string& pid, const std::string& dir) {
    std::string cmd = SlurpProcFile(dir + "/cmdline");
    bool all = !cmd.empty();
    for (const auto& p : parts) all = all && cmd.find(p) != std::string::npos;
    if (all) found = std::stoi(pid);
    return all;
  });
  return found;
}

bool ProcessEnded(int pid) {
  std::string stat = SlurpProcFile("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) S ...": the state follows the last ')'; comm may hold anything.
  auto close_paren = stat.rfind(')');
  return close_paren == std::string::npos || stat.compare(close_paren + 1, 3, " Z ") == 0;
}

}  // namespace pgreplica::testing
