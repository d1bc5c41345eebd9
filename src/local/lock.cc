#include "local/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace pgreplica::replica {

namespace {

std::unexpected<Error> Held(int fd, const std::string& path, const std::string& what) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  if (holder.empty() || holder.find_first_not_of("0123456789") != std::string::npos)
    holder = "(unknown)";
  return Fail(ErrorKind::kLocked, fmt::format("another pgreplica run is working on {}", what),
              fmt::format("Process {} holds the lock file \"{}\".", holder, path),
              "Wait for it to finish (see \"pgreplica jobs list\"), then run again.");
}

}  // namespace

namespace {

// Whether `name` in `dirfd` is still the file open as `fd`.
bool StillNamed(int dirfd, const std::string& name, int fd) {
  struct stat a {
  }, b{};
  return fstat(fd, &a) == 0 && fstatat(dirfd, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const Dir& dir, const std::string& name,
                                   const std::string& what) {
  std::string path = dir.PathOf(name);
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto fd = dir.OpenFile(name, O_RDWR | O_CREAT, 0600);
    if (!fd) return std::unexpected(fd.error().Context("could not open the lock file"));
    if (flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return Held(fd->get(), path, what);
      return std::unexpected(ErrnoError(errno, fmt::format("could not lock \"{}\"", path)));
    }
    // The previous holder removes the file when it is done: a lock on a file that no longer
    // has this name protects nothing.
    if (!StillNamed(dir.fd(), name, fd->get())) continue;
    struct stat st {};
    if (fstat(fd->get(), &st) == 0 && st.st_uid == geteuid() && st.st_nlink == 1) {
      std::string pid = std::to_string(getpid()) + "\n";
      if (ftruncate(fd->get(), 0) == 0) {
        ssize_t ignored = pwrite(fd->get(), pid.data(), pid.size(), 0);
        (void)ignored;
      }
    }
    FileLock lock;
    lock.fd_ = std::move(*fd);
    lock.dir_ = UniqueFd(fcntl(dir.fd(), F_DUPFD_CLOEXEC, 0));
    lock.name_ = name;
    lock.path_ = std::move(path);
    return lock;
  }
  return Fail(ErrorKind::kLocked, fmt::format("could not lock {}", what),
              fmt::format("The lock file \"{}\" kept being replaced.", path),
              "Another program removes or replaces it; find out which.");
}

void FileLock::Release() {
  if (fd_.valid() && dir_.valid() && StillNamed(dir_.get(), name_, fd_.get()))
    unlinkat(dir_.get(), name_.c_str(), 0);
  fd_ = UniqueFd();
  dir_ = UniqueFd();
}

FileLock::~FileLock() { Release(); }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::move(other.fd_);
    dir_ = std::move(other.dir_);
    name_ = std::move(other.name_);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<FileLock> FileLock::Acquire(const Location& location, const std::string& state_directory,
                                   const std::string& what) {
  auto locks = OpenStateDir(state_directory, "locks", /*create=*/true);
  if (!locks) return std::unexpected(locks.error().Context("could not lock " + what));
  return Acquire(*locks, StateKey(location.real) + ".lock", what);
}

Status FileLock::Probe(const Location& location, const std::string& state_directory,
                       const std::string& what) {
  auto locks = OpenStateDir(state_directory, "locks", /*create=*/false);
  if (!locks) {
    if (locks.error().kind == ErrorKind::kNotFound) return {};  // nobody ever locked anything
    return std::unexpected(locks.error());
  }
  std::string name = StateKey(location.real) + ".lock";
  auto st = locks->Stat(name);
  if (!st) return std::unexpected(st.error());
  if (!*st) return {};
  auto fd = locks->OpenFile(name, O_RDONLY);
  if (!fd) return std::unexpected(fd.error().Context("could not open the lock file"));
  if (flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Held(fd->get(), locks->PathOf(name), what);
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not lock \"{}\"", locks->PathOf(name))));
  }
  return {};  // closing the fd releases the probe's lock
}

}  // namespace pgreplica::replica
