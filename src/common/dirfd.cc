#include "common/dirfd.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>
#include <random>
#include <utility>

#include <fmt/format.h>

namespace pgreplica {

namespace {

constexpr int kMaxLinks = 40;  // as the kernel's MAXSYMLINKS

std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

Error PathError(int errnum, const std::string& path, const std::string& what) {
  return ErrnoError(errnum, fmt::format("could not {} \"{}\"", what, path));
}

bool ValidName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

Status CheckName(std::string_view name) {
  if (ValidName(name)) return {};
  return Fail(ErrorKind::kInternal, fmt::format("invalid file name \"{}\"", name));
}

std::string RandomSuffix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

// The walk of Dir::Open: the directory reached so far, its status and its real path.
struct Walk {
  UniqueFd cur;
  struct stat cur_st {};
  std::vector<std::string> real;
};

// Opens "/" as the start of a walk (again, after an absolute link target).
Status WalkFromRoot(Walk& w) {
  w.cur = UniqueFd(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!w.cur.valid() || fstat(w.cur.get(), &w.cur_st) != 0)
    return std::unexpected(PathError(errno, "/", "open directory"));
  w.real.clear();
  return {};
}

// "..": the parent of the real path walked so far (not empty), walked again from "/". Not
// openat(cur, ".."): another user who owns a directory on the way could have moved it
// elsewhere since it was opened, and ".." would then lead into the directory of their choice.
Status WalkUp(Walk& w) {
  w.real.pop_back();
  UniqueFd up(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!up.valid()) return std::unexpected(PathError(errno, "/", "open directory"));
  std::string walked;
  for (const auto& r : w.real) {
    walked += "/" + r;
    UniqueFd next(openat(up.get(), r.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return std::unexpected(PathError(errno, walked, "open directory"));
    up = std::move(next);
  }
  if (fstat(up.get(), &w.cur_st) != 0)
    return std::unexpected(PathError(errno, Join(w.real), "stat"));
  w.cur = std::move(up);
  return {};
}

// The symbolic link `c` (lstat `st`, path `here`) in the directory walked so far: followed only
// where LinkIsTrusted allows, and at most kMaxLinks times in all (`links`). Its target's
// components go onto `todo`; an absolute target starts the walk again at "/".
Status FollowLink(Walk& w, const std::string& path, const std::string& c, const std::string& here,
                  const struct stat& st, int& links, std::vector<std::string>& todo) {
  if (!LinkIsTrusted(w.cur_st, st)) {
    return Fail(
        ErrorKind::kInsecureFile,
        fmt::format("could not open directory \"{}\": \"{}\" is a symbolic link in a "
                    "directory that {} can write",
                    path, here, UserLabel(w.cur_st.st_uid != 0 ? w.cur_st.st_uid : st.st_uid)),
        "Running as root, pgreplica does not follow symbolic links that another user "
        "could have planted or replaced.",
        "Configure the real path (without that link), or move the link into a "
        "directory that only root can write.");
  }
  if (++links > kMaxLinks) return std::unexpected(PathError(ELOOP, path, "open directory"));
  std::string target(PATH_MAX, '\0');
  ssize_t n = readlinkat(w.cur.get(), c.c_str(), target.data(), target.size());
  if (n < 0) return std::unexpected(PathError(errno, here, "read symbolic link"));
  target.resize(static_cast<size_t>(n));
  auto parts = Components(target);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
  if (!target.empty() && target[0] == '/') return WalkFromRoot(w);
  return {};
}

}  // namespace

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

int UniqueFd::release() { return std::exchange(fd_, -1); }

bool LinkIsTrusted(const struct stat& dir, const struct stat& link) {
  if (geteuid() != 0) return true;
  if (dir.st_uid != 0) return false;
  if ((dir.st_mode & (S_IWGRP | S_IWOTH)) == 0) return true;
  return (dir.st_mode & S_ISVTX) != 0 && link.st_uid == 0;
}

std::string UserLabel(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr)
    return fmt::format("user \"{}\" (uid {})", found->pw_name, uid);
  return fmt::format("user id {}", uid);
}

std::string BaseName(const std::string& path) {
  auto parts = Components(path);
  return parts.empty() ? "/" : parts.back();
}

std::string LexicalPath(const std::string& path) {
  std::vector<std::string> out;
  for (auto& c : Components(path))
    if (c != ".") out.push_back(std::move(c));
  std::string joined;
  for (const auto& c : out) joined += "/" + c;
  if (path.empty() || path[0] != '/') {
    if (joined.empty()) return ".";
    return joined.substr(1);
  }
  return joined.empty() ? "/" : joined;
}

Result<Dir> Dir::Open(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return Fail(ErrorKind::kInternal, fmt::format("path \"{}\" is not absolute", path));
  Walk w;
  w.cur = UniqueFd(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!w.cur.valid()) return std::unexpected(PathError(errno, "/", "open directory"));
  if (fstat(w.cur.get(), &w.cur_st) != 0) return std::unexpected(PathError(errno, "/", "stat"));
  std::vector<std::string> todo = Components(path);
  std::reverse(todo.begin(), todo.end());  // a stack: the next component is at the back
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (w.real.empty()) continue;
      if (auto ok = WalkUp(w); !ok) return std::unexpected(ok.error());
      continue;
    }
    struct stat st {};
    const std::string here = w.real.empty() ? "/" + c : Join(w.real) + "/" + c;
    if (fstatat(w.cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      Error e = PathError(errno, path, "open directory");
      if (errno == ENOENT) e.detail = fmt::format("\"{}\" does not exist.", here);
      return std::unexpected(e);
    }
    if (S_ISLNK(st.st_mode)) {
      if (auto ok = FollowLink(w, path, c, here, st, links, todo); !ok)
        return std::unexpected(ok.error());
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      Error e = PathError(ENOTDIR, path, "open directory");
      e.detail = fmt::format("\"{}\" is not a directory.", here);
      return std::unexpected(e);
    }
    UniqueFd next(openat(w.cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid() || fstat(next.get(), &w.cur_st) != 0)
      return std::unexpected(PathError(errno, here, "open directory"));
    w.real.push_back(std::move(c));
    w.cur = std::move(next);
  }
  return Dir(std::move(w.cur), Join(w.real), w.cur_st);
}

Result<std::string> ReadFileByTrustedPath(const std::string& path, size_t max_bytes) {
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&free)> cwd(getcwd(nullptr, 0), &free);
    if (!cwd) return std::unexpected(PathError(errno, path, "find the working directory for"));
    absolute = std::string(cwd.get()) + "/" + path;
  }
  for (int links = 0;; ++links) {
    std::vector<std::string> parts = Components(absolute);
    if (parts.empty() || parts.back() == "." || parts.back() == "..")
      return Fail(ErrorKind::kFileAccess, fmt::format("\"{}\" is not a file", path));
    const std::string name = parts.back();
    parts.pop_back();
    auto dir = Dir::Open(Join(parts));
    if (!dir) return std::unexpected(dir.error());
    auto st = dir->Stat(name);
    if (!st) return std::unexpected(st.error());
    if (!*st) return std::unexpected(PathError(ENOENT, dir->PathOf(name), "open file"));
    if (!S_ISLNK((*st)->st_mode)) {
      if (!S_ISREG((*st)->st_mode))
        return Fail(ErrorKind::kFileAccess,
                    fmt::format("\"{}\" is not a regular file", dir->PathOf(name)),
                    S_ISFIFO((*st)->st_mode)  ? "It is a FIFO, which could block the read forever."
                    : S_ISDIR((*st)->st_mode) ? "It is a directory."
                                              : "It is a device or socket.");
      return dir->ReadFile(name, max_bytes);
    }
    const bool root = geteuid() == 0;
    if (root && (*st)->st_uid != 0) {
      return Fail(ErrorKind::kInsecureFile,
                  fmt::format("\"{}\" is a symbolic link that belongs to user id {}",
                              dir->PathOf(name), (*st)->st_uid),
                  "Running as root, pgreplica does not follow symbolic links that another user "
                  "made.",
                  "Give the real path of the file (readlink -f shows it).");
    }
    if (!LinkIsTrusted(dir->status(), **st)) {
      return Fail(
          ErrorKind::kInsecureFile,
          fmt::format("\"{}\" is a symbolic link in a directory someone other than root "
                      "can change",
                      dir->PathOf(name)),
          fmt::format("The directory \"{}\" belongs to {} (mode {:04o}); running as "
                      "root, pgreplica does not follow symbolic links that another user "
                      "could have planted or replaced.",
                      dir->path(), UserLabel(dir->status().st_uid), dir->status().st_mode & 07777),
          "Give the real path of the file (readlink -f shows it), or move the link into "
          "a directory that only root can write.");
    }
    if (links >= kMaxLinks) return std::unexpected(PathError(ELOOP, path, "open file"));
    auto target = dir->ReadLink(name);
    if (!target) return std::unexpected(target.error());
    absolute = !target->empty() && target->front() == '/' ? *target : dir->path() + "/" + *target;
  }
}

std::string Dir::PathOf(std::string_view name) const {
  return path_ == "/" ? "/" + std::string(name) : path_ + "/" + std::string(name);
}

Result<Dir> Dir::OpenDir(std::string_view name) const {
  if (auto ok = CheckName(name); !ok) return std::unexpected(ok.error());
  std::string n(name);
  UniqueFd fd(openat(fd_.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    int e = errno;
    if (e == ELOOP || e == ENOTDIR) {
      struct stat st {};
      if (fstatat(fd_.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return Fail(ErrorKind::kInsecureFile,
                    fmt::format("\"{}\" is a symbolic link, not a directory", PathOf(name)), "",
                    "pgreplica does not follow symbolic links here; replace it with a directory.");
    }
    return std::unexpected(PathError(e, PathOf(name), "open directory"));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return std::unexpected(PathError(errno, PathOf(name), "stat"));
  return Dir(std::move(fd), PathOf(name), st);
}

Result<std::optional<struct stat>> Dir::Stat(std::string_view name) const {
  if (auto ok = CheckName(name); !ok) return std::unexpected(ok.error());
  struct stat st {};
  if (fstatat(fd_.get(), std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<struct stat>{};
    return std::unexpected(PathError(errno, PathOf(name), "stat"));
  }
  return std::optional<struct stat>{st};
}

Result<std::vector<std::string>> Dir::List() const {
  int dup_fd = fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return std::unexpected(PathError(errno, path_, "read directory"));
  DIR* d = fdopendir(dup_fd);
  if (d == nullptr) {
    int e = errno;
    close(dup_fd);
    return std::unexpected(PathError(e, path_, "read directory"));
  }
  rewinddir(d);
  std::vector<std::string> out;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") out.emplace_back(n);
    errno = 0;
  }
  int e = errno;
  closedir(d);
  if (e != 0) return std::unexpected(PathError(e, path_, "read directory"));
  return out;
}

Result<bool> Dir::IsEmpty() const {
  auto list = List();
  if (!list) return std::unexpected(list.error());
  return list->empty();
}

Status Dir::MakeDir(std::string_view name, mode_t mode, std::optional<Owner> owner) const {
  if (auto ok = CheckName(name); !ok) return ok;
  if (mkdirat(fd_.get(), std::string(name).c_str(), mode) != 0)
    return std::unexpected(PathError(errno, PathOf(name), "create directory"));
  // Owner and mode through an fd of the directory just made: O_DIRECTORY refuses anything
  // that another user may have put in its place meanwhile.
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(PathError(errno, PathOf(name), "open directory"));
  if (owner && fchown(fd.get(), owner->uid, owner->gid) != 0)
    return std::unexpected(PathError(errno, PathOf(name), "change the owner of"));
  if (fchmod(fd.get(), mode) != 0)
    return std::unexpected(PathError(errno, PathOf(name), "change the mode of"));
  return {};
}

Status Dir::Rename(std::string_view from, std::string_view to) const {
  return Rename(from, *this, to);
}

Status Dir::Rename(std::string_view from, const Dir& target, std::string_view to) const {
  if (auto ok = CheckName(from); !ok) return ok;
  if (auto ok = CheckName(to); !ok) return ok;
  std::string f(from), t(to);
  int rc = renameat2(fd_.get(), f.c_str(), target.fd(), t.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // The filesystem cannot refuse to replace; check first (a race can only make the
    // rename fail: renameat never replaces a non-empty directory).
    struct stat st {};
    if (fstatat(target.fd(), t.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      errno = EEXIST;
    } else {
      rc = renameat(fd_.get(), f.c_str(), target.fd(), t.c_str());
    }
  }
  if (rc != 0) {
    int e = errno;
    return std::unexpected(ErrnoError(
        e, fmt::format("could not rename \"{}\" to \"{}\"", PathOf(from), target.PathOf(to))));
  }
  return {};
}

namespace {

// Removes `name` in `dirfd` (whose path is `where`, for messages); directories only on `dev`.
Status RemoveAt(int dirfd, const std::string& where, const std::string& name, dev_t dev) {
  std::string path = where + "/" + name;
  struct stat st {};
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return std::unexpected(PathError(errno, path, "stat"));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
      return std::unexpected(PathError(errno, path, "remove"));
    return {};
  }
  struct statx sx {};
  bool mount_root = statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
                    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
                    (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  if (st.st_dev != dev || mount_root) {
    return Fail(ErrorKind::kFileAccess,
                fmt::format("could not remove \"{}\": it is a mount point", path),
                "A mount point below a directory being removed is never entered.",
                "Unmount it, then remove the directory by hand.");
  }
  UniqueFd fd(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(PathError(errno, path, "open directory"));
  int dup_fd = fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  DIR* d = dup_fd >= 0 ? fdopendir(dup_fd) : nullptr;
  if (d == nullptr) {
    int e = errno;
    if (dup_fd >= 0) close(dup_fd);
    return std::unexpected(PathError(e, path, "read directory"));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  closedir(d);
  for (const auto& n : names) {
    if (auto ok = RemoveAt(fd.get(), path, n, dev); !ok) return ok;
  }
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return std::unexpected(PathError(errno, path, "remove directory"));
  return {};
}

}  // namespace

Status Dir::RemoveTree(std::string_view name) const {
  if (auto ok = CheckName(name); !ok) return ok;
  return RemoveAt(fd_.get(), path_ == "/" ? "" : path_, std::string(name), st_.st_dev);
}

Result<bool> Dir::RemoveEmptyDir(std::string_view name) const {
  if (auto ok = CheckName(name); !ok) return std::unexpected(ok.error());
  if (unlinkat(fd_.get(), std::string(name).c_str(), AT_REMOVEDIR) == 0) return true;
  if (errno == ENOTEMPTY || errno == EEXIST) return false;
  return std::unexpected(PathError(errno, PathOf(name), "remove directory"));
}

Result<std::string> Dir::ReadLink(std::string_view name) const {
  if (auto ok = CheckName(name); !ok) return std::unexpected(ok.error());
  std::string target(PATH_MAX, '\0');
  ssize_t n = readlinkat(fd_.get(), std::string(name).c_str(), target.data(), target.size());
  if (n < 0) return std::unexpected(PathError(errno, PathOf(name), "read symbolic link"));
  target.resize(static_cast<size_t>(n));
  return target;
}

Status Dir::ReplaceSymlink(std::string_view name, const std::string& target,
                           std::optional<Owner> owner) const {
  if (auto ok = CheckName(name); !ok) return ok;
  std::string tmp = fmt::format("{}.pgreplica-link-{}", name, RandomSuffix());
  if (symlinkat(target.c_str(), fd_.get(), tmp.c_str()) != 0)
    return std::unexpected(PathError(errno, PathOf(tmp), "create symbolic link"));
  if (owner && fchownat(fd_.get(), tmp.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
    int e = errno;
    unlinkat(fd_.get(), tmp.c_str(), 0);
    return std::unexpected(PathError(e, PathOf(tmp), "change the owner of"));
  }
  if (renameat(fd_.get(), tmp.c_str(), fd_.get(), std::string(name).c_str()) != 0) {
    int e = errno;
    unlinkat(fd_.get(), tmp.c_str(), 0);
    return std::unexpected(PathError(e, PathOf(name), "replace symbolic link"));
  }
  return {};
}

Result<UniqueFd> Dir::OpenFile(std::string_view name, int flags, mode_t mode) const {
  if (auto ok = CheckName(name); !ok) return std::unexpected(ok.error());
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(),
                     flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode));
  if (!fd.valid()) {
    int e = errno;
    if (e == ELOOP)
      return Fail(ErrorKind::kInsecureFile, fmt::format("\"{}\" is a symbolic link", PathOf(name)),
                  "pgreplica does not follow a symbolic link here: another user could have "
                  "planted it to make root read or write a file of its choice.",
                  "Remove the link; pgreplica writes a regular file in its place.");
    return std::unexpected(PathError(e, PathOf(name), "open file"));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return std::unexpected(PathError(errno, PathOf(name), "stat"));
  if (!S_ISREG(st.st_mode))
    return Fail(ErrorKind::kInsecureFile, fmt::format("\"{}\" is not a regular file", PathOf(name)),
                "", "Remove it; pgreplica writes a regular file in its place.");
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl >= 0) fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

Result<std::string> ReadAll(int fd, const std::string& path, size_t max_bytes) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(PathError(errno, path, "read file"));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return Fail(ErrorKind::kFileAccess, fmt::format("file \"{}\" is too large", path),
                  fmt::format("The limit is {} bytes.", max_bytes));
  }
  return out;
}

Result<std::string> Dir::ReadFile(std::string_view name, size_t max_bytes) const {
  auto fd = OpenFile(name, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  return ReadAll(fd->get(), PathOf(name), max_bytes);
}

Status Dir::WriteFileAtomic(std::string_view name, const std::string& contents, mode_t mode,
                            std::optional<Owner> owner) const {
  if (auto ok = CheckName(name); !ok) return ok;
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 100 && !fd.valid(); ++attempt) {
    tmp = fmt::format("{}.tmp.{}", name, RandomSuffix());
    fd = UniqueFd(
        openat(fd_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid() && errno != EEXIST)
      return std::unexpected(ErrnoError(
          errno, fmt::format("could not create a temporary file beside \"{}\"", PathOf(name))));
  }
  if (!fd.valid())
    return std::unexpected(ErrnoError(
        EEXIST, fmt::format("could not create a temporary file beside \"{}\"", PathOf(name))));
  auto fail = [&](const std::string& what) {
    int e = errno;
    unlinkat(fd_.get(), tmp.c_str(), 0);
    return std::unexpected(ErrnoError(e, fmt::format("could not {} \"{}\"", what, PathOf(tmp))));
  };
  if (fchmod(fd.get(), mode) != 0) return fail("set the mode of");
  if (owner && fchown(fd.get(), owner->uid, owner->gid) != 0) return fail("change the owner of");
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail("fsync");
  if (close(fd.release()) != 0) return fail("close");
  if (renameat(fd_.get(), tmp.c_str(), fd_.get(), std::string(name).c_str()) != 0) {
    int e = errno;
    unlinkat(fd_.get(), tmp.c_str(), 0);
    return std::unexpected(
        ErrnoError(e, fmt::format("could not rename \"{}\" to \"{}\"", PathOf(tmp), PathOf(name))));
  }
  return Sync();
}

Status Dir::ChownChmod(std::string_view name, std::optional<Owner> owner,
                       std::optional<mode_t> mode) const {
  if (auto ok = CheckName(name); !ok) return ok;
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(),
                     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return std::unexpected(PathError(errno, PathOf(name), "open"));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return std::unexpected(PathError(errno, PathOf(name), "stat"));
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    return Fail(ErrorKind::kInsecureFile,
                fmt::format("\"{}\" is neither a directory nor a regular file", PathOf(name)));
  if (owner && (st.st_uid != owner->uid || st.st_gid != owner->gid) &&
      fchown(fd.get(), owner->uid, owner->gid) != 0)
    return std::unexpected(PathError(errno, PathOf(name), "change the owner of"));
  if (mode && (st.st_mode & 07777) != *mode && fchmod(fd.get(), *mode) != 0)
    return std::unexpected(PathError(errno, PathOf(name), "change the mode of"));
  return {};
}

Status Dir::Sync() const {
  if (fsync(fd_.get()) != 0 && errno != EINVAL)
    return std::unexpected(PathError(errno, path_, "fsync directory"));
  return {};
}

}  // namespace pgreplica
