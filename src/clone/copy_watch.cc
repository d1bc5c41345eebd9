#include "clone/copy_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "clone/verify.h"

namespace pgreplica::replica {

namespace {

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR;
constexpr std::size_t kReadChunk = 1 << 20;

bool Before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

bool Same(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

std::optional<std::uint32_t> ReusableCrc32c(const PrecomputedSums& sums, int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto it = sums.find({st.st_dev, st.st_ino});
  if (it == sums.end()) return std::nullopt;
  if (it->second.size != static_cast<std::uint64_t>(st.st_size) ||
      !Same(it->second.ctime, st.st_ctim))
    return std::nullopt;
  return it->second.crc32c;
}

Result<std::unique_ptr<CopyWatcher>> CopyWatcher::Start(const std::vector<const Dir*>& roots) {
  std::unique_ptr<CopyWatcher> w(new CopyWatcher());
  w->inotify_ = UniqueFd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!w->inotify_.valid()) return std::unexpected(ErrnoError(errno, "could not start inotify"));
  for (const Dir* d : roots) {
    int fd = fcntl(d->fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0 || !w->Watch(fd))
      return std::unexpected(ErrnoError(errno, fmt::format("could not watch \"{}\"", d->path())));
  }
  w->buffer_.resize(kReadChunk);
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

CopyWatcher::~CopyWatcher() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

PrecomputedSums CopyWatcher::Finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return std::move(sums_);
}

bool CopyWatcher::Watch(int dir_fd) {
  UniqueFd owned(dir_fd);
  // A copy is a few levels deep and holds a few thousand directories; a deeper or larger tree
  // (one planted to exhaust the stack or the descriptors) is left to the verifier to read.
  if (watch_depth_ >= kMaxWatchDepth || dirs_.size() >= kMaxWatchedDirs) return false;
  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& depth) : d(++depth) {}
    ~DepthGuard() { --d; }
  } guard(watch_depth_);
  std::string proc = fmt::format("/proc/self/fd/{}", dir_fd);
  int wd = inotify_add_watch(inotify_.get(), proc.c_str(), kMask);
  if (wd < 0) return false;
  if (dirs_.count(wd) != 0) return true;  // watched already (its fd may be in use)
  dirs_[wd] = std::move(owned);
  // Directories made in it before the watch existed (pg_basebackup makes base/ and base/1
  // within microseconds) are watched now; their files closed meanwhile are the verifier's.
  int list_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) return true;
  DIR* d = fdopendir(list_fd);
  if (d == nullptr) {
    close(list_fd);
    return true;
  }
  std::vector<std::string> subdirs;
  while (struct dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st {};
    if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
      subdirs.push_back(e->d_name);
  }
  closedir(d);
  for (const auto& name : subdirs) {
    int sub = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) (void)Watch(sub);
  }
  return true;
}

void CopyWatcher::Sum(int dir_fd, const char* name) {
  struct timespec started {};
  clock_gettime(CLOCK_REALTIME_COARSE, &started);
  UniqueFd fd(openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return;
  struct stat before {};
  if (fstat(fd.get(), &before) != 0 || !S_ISREG(before.st_mode)) return;
  // Only a file that has not changed since reading began can be vouched for. A change after
  // `started` stamps a ctime of at least `started`'s clock tick, unless the filesystem keeps
  // timestamps coarser than the tick (1 s on some): a ctime with whole milliseconds says it
  // may, and such a file is left to the verifier.
  if (!Before(before.st_ctim, started) || before.st_ctim.tv_nsec % 1000000 == 0) return;
  std::uint32_t crc = kCrc32cInit;
  std::uint64_t total = 0;
  while (!stop_) {
    ssize_t n = read(fd.get(), buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    if (n == 0) break;
    crc = Crc32cUpdate(crc, buffer_.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  if (stop_) return;
  struct stat after {};
  if (fstat(fd.get(), &after) != 0 || !Same(after.st_ctim, before.st_ctim) ||
      after.st_size != before.st_size || total != static_cast<std::uint64_t>(before.st_size))
    return;
  sums_[{before.st_dev, before.st_ino}] = {total, before.st_ctim, crc ^ kCrc32cInit};
}

void CopyWatcher::Run() {
  alignas(struct inotify_event) char events[64 * 1024];
  std::vector<std::pair<int, std::string>> closed;
  while (!stop_) {
    struct pollfd p = {inotify_.get(), POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = read(inotify_.get(), events, sizeof events);
    if (n <= 0) continue;
    closed.clear();
    for (char* at = events; at < events + n;) {
      auto* e = reinterpret_cast<struct inotify_event*>(at);
      at += sizeof(struct inotify_event) + e->len;
      auto dir = dirs_.find(e->wd);
      if (dir == dirs_.end() || e->len == 0) continue;
      if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO))) {
        int sub =
            openat(dir->second.get(), e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) (void)Watch(sub);  // the watch map may grow: `dir` is not used below
        continue;
      }
      if (e->mask & IN_CLOSE_WRITE) closed.emplace_back(dir->second.get(), e->name);
    }
    // A file's last write and its close usually share a clock tick with this moment; waiting
    // a little more than a tick lets Sum() vouch for it (its ctime is then in the past).
    if (!closed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(12));
    for (const auto& [dir_fd, name] : closed) {
      if (stop_) break;
      Sum(dir_fd, name.c_str());
    }
  }
}

}  // namespace pgreplica::replica
