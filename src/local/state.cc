#include "local/state.h"

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

// Every directory above the state directory must be as safe as itself: one that another user
// can write lets that user rename the state directory away (and with it the locks).
Status CheckAncestors(const std::string& real) {
  std::string up = DirName(real);
  while (true) {
    struct stat st {};
    if (lstat(up.c_str(), &st) != 0)
      return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", up)));
    bool owner_ok = st.st_uid == 0 || st.st_uid == geteuid();
    bool others_ok = (st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0;
    if (!owner_ok || !others_ok) {
      return Fail(
          ErrorKind::kInsecureFile,
          fmt::format("the state directory \"{}\" is inside \"{}\", which {} can write", real, up,
                      owner_ok ? fmt::format("others (mode {:04o})", st.st_mode & 07777)
                               : UserLabel(st.st_uid)),
          "That user could rename the state directory away, and with it the locks and "
          "swap journals kept there.",
          "Keep state_directory in a directory only root can write (the default is "
          "/var/lib/pgreplica).");
    }
    if (up == "/") return {};
    up = DirName(up);
  }
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
  if (auto ok = CheckAncestors(dir->path()); !ok) return std::unexpected(ok.error());
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
