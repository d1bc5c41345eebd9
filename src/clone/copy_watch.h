#pragma once
// Checksums the files of a copy while pg_basebackup writes it, so that the verification after
// the copy reads only what could not be checksummed on the way. Linux inotify reports each
// file pg_basebackup closes (IN_CLOSE_WRITE); a thread computes its CRC-32C (the manifests'
// default) right away, while the page cache still holds it.
//
// A sum is only a shortcut, never a verdict: it is used for a file only when the file the
// verifier opens is the same inode with the same size and the same ctime as when it was
// summed, and that ctime is earlier than the moment reading began (CLOCK_REALTIME_COARSE, the
// clock the kernel stamps ctime with). Any change after the sum moves the ctime forward, so a
// file changed later is read again. On a filesystem whose timestamps are coarser than a
// millisecond nothing is vouched for. Whatever is missed (a directory's first files before its
// watch exists, an overflowing event queue) is simply read by the verifier.

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/dirfd.h"
#include "common/error.h"

namespace pgreplica::replica {

struct PrecomputedSum {
  std::uint64_t size = 0;
  struct timespec ctime {};
  std::uint32_t crc32c = 0;  // final value (as FileChecksum("CRC32C") gives it)
};

// Keyed by (st_dev, st_ino).
using PrecomputedSums = std::map<std::pair<dev_t, ino_t>, PrecomputedSum>;

// The sum of the open regular file `fd` when `sums` has one that still holds (same inode, size
// and ctime as fstat says now); nullopt otherwise.
std::optional<std::uint32_t> ReusableCrc32c(const PrecomputedSums& sums, int fd);

class CopyWatcher {
 public:
  // Watches each directory (the staging data directory, the staged tablespace directories)
  // and every directory created below them, through fds (a watch is added through
  // /proc/self/fd, never by following a path). kSystem when inotify is not available.
  static Result<std::unique_ptr<CopyWatcher>> Start(const std::vector<const Dir*>& roots);
  ~CopyWatcher();
  CopyWatcher(const CopyWatcher&) = delete;
  CopyWatcher& operator=(const CopyWatcher&) = delete;

  // Stops the thread (files still queued are left to the verifier) and returns the sums.
  PrecomputedSums Finish();

 private:
  CopyWatcher() = default;
  void Run();
  bool Watch(int dir_fd);  // adds a watch for an open directory; takes ownership of dir_fd
  void Sum(int dir_fd, const char* name);

  UniqueFd inotify_;
  std::map<int, UniqueFd> dirs_;  // watch descriptor -> the directory's fd
  static constexpr int kMaxWatchDepth = 32;
  static constexpr std::size_t kMaxWatchedDirs = 50000;
  int watch_depth_ = 0;  // Watch()'s recursion
  PrecomputedSums sums_;
  std::vector<char> buffer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace pgreplica::replica
