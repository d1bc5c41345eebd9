#pragma once
// An advisory lock file (flock) that keeps two pgreplica runs from working
// on the same data directory at once. The kernel releases it when the
// process dies, so a killed run never leaves a stale lock.

#include <string>

#include "common/error.h"

namespace pgreplica::replica {

class FileLock {
 public:
  // Takes the lock at once or fails with kLocked (naming the holder's pid).
  static Result<FileLock> Acquire(const std::string& path, const std::string& what);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock() = default;
  int fd_ = -1;
};

// The lock file of a data directory: beside it, so it exists before the
// directory does: <data_directory>.pgreplica.lock
std::string LockPathFor(const std::string& data_directory);

}  // namespace pgreplica::replica
