#pragma once
// An advisory lock file (flock) that keeps two pgreplica runs from working
// on the same data directory at once. The kernel releases it when the
// process dies, so a killed run never leaves a stale lock. The file of a
// location is <state_directory>/locks/<StateKey of its real path>.lock
// (local/state.h): every spelling of one directory takes the same lock, and
// it lives where only pgreplica's user can write, never beside the data
// directory where the PostgreSQL OS user could remove it.
// The file is removed when the lock is released, so a run that ends leaves none
// behind; a killed run leaves the file but not the lock, and the next run takes
// it. A run that locked a file just removed by the previous holder notices (the
// name no longer leads to its file) and tries again.

#include <string>

#include "common/dirfd.h"
#include "common/error.h"
#include "local/location.h"
#include "local/state.h"

namespace pgreplica::replica {

class FileLock {
 public:
  // Takes the lock file `name` in `dir` at once (creating it if missing), or fails with
  // kLocked naming the holder's pid. A link or a non-regular file there is refused. The pid is
  // written into the file only when it is ours alone (owner this process's user, one link).
  static Result<FileLock> Acquire(const Dir& dir, const std::string& name, const std::string& what);
  // The lock of a location (data directory or tablespace) in the state directory.
  static Result<FileLock> Acquire(const Location& location, const std::string& state_directory,
                                  const std::string& what);
  // For dry runs: fails with kLocked when another run holds the lock, creating and changing
  // nothing (a missing file means nobody holds it).
  static Status Probe(const Location& location, const std::string& state_directory,
                      const std::string& what);

  FileLock(FileLock&& other) noexcept = default;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  // Removes the lock file (if it is still ours) and releases the lock.
  ~FileLock();

  const std::string& path() const { return path_; }

 private:
  FileLock() = default;
  void Release();
  UniqueFd fd_;
  UniqueFd dir_;  // the directory holding the file
  std::string name_;
  std::string path_;
};

}  // namespace pgreplica::replica
