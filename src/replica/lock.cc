#include "replica/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace pgreplica::replica {

std::string LockPathFor(const std::string& data_directory) {
  return data_directory + ".pgreplica.lock";
}

Result<FileLock> FileLock::Acquire(const std::string& path, const std::string& what) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not open lock file \"{}\"", path)));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    char buf[32] = {};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    if (e == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return Fail(ErrorKind::kLocked, fmt::format("another pgreplica run is working on {}", what),
                  fmt::format("Process {} holds the lock file \"{}\".", holder, path),
                  "Wait for it to finish (see \"pgreplica jobs list\"), then run again.");
    }
    return std::unexpected(ErrnoError(e, fmt::format("could not lock \"{}\"", path)));
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) == 0) {
    ssize_t ignored = pwrite(fd, pid.data(), pid.size(), 0);
    (void)ignored;
  }
  FileLock lock;
  lock.fd_ = fd;
  return lock;
}

FileLock::FileLock(FileLock&& other) noexcept { *this = std::move(other); }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace pgreplica::replica
