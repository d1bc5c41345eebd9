#include "replica/state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

namespace {

Status CheckOwn(const Dir& dir) {
  const struct stat& st = dir.status();
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Fail(ErrorKind::kInsecureFile,
                fmt::format("the state directory \"{}\" is not private", dir.path()),
                fmt::format("It belongs to {} with mode {:04o}; pgreplica keeps its locks and "
                            "journals there, which another user must not be able to change.",
                            UserLabel(st.st_uid), st.st_mode & 07777),
                fmt::format("chown {} {} && chmod go-w {} (or set state_directory)", geteuid(),
                            dir.path(), dir.path()));
  }
  return {};
}

}  // namespace

Result<Dir> OpenStateDir(const std::string& state_directory, const std::string& sub, bool create,
                         mode_t sub_mode) {
  std::string path = LexicalPath(state_directory);
  if (create) {
    if (auto ok = MakeDirs(path, 0750); !ok)
      return std::unexpected(ok.error().Context("could not create the state directory"));
  } else if (auto st = StatPath(path); !st || !*st) {
    return Fail(ErrorKind::kNotFound, fmt::format("state directory \"{}\" does not exist", path));
  }
  auto dir = Dir::Open(path);
  if (!dir) return std::unexpected(dir.error());
  if (auto ok = CheckOwn(*dir); !ok) return std::unexpected(ok.error());
  auto st = dir->Stat(sub);
  if (!st) return std::unexpected(st.error());
  if (!*st) {
    if (!create)
      return Fail(ErrorKind::kNotFound, fmt::format("\"{}\" does not exist", dir->PathOf(sub)));
    (void)dir->MakeDir(sub, sub_mode, std::nullopt);  // a concurrent run may make it first
  }
  auto subdir = dir->OpenDir(sub);
  if (!subdir) return std::unexpected(subdir.error());
  if (auto ok = CheckOwn(*subdir); !ok) return std::unexpected(ok.error());
  return subdir;
}

std::string StateKey(const std::string& real_path) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : real_path) h = (h ^ c) * 1099511628211ull;
  std::string base = BaseName(real_path);
  for (char& c : base)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return fmt::format("{}-{:016x}", base, h);
}

}  // namespace pgreplica::replica
