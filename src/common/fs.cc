#include "common/fs.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pgreplica {

namespace fs = std::filesystem;

std::string NormalPath(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(path, ec);
  if (ec) p = std::filesystem::path(path).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string DirName(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

Status FsyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, fmt::format("could not open \"{}\"", path)));
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return std::unexpected(ErrnoError(e, fmt::format("could not fsync \"{}\"", path)));
  return {};
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode,
                       std::optional<Owner> owner) {
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not create a temporary file beside \"{}\"", path)));
  }
  std::string tmp(name.data());
  auto fail = [&](const std::string& what) {
    int e = errno;
    close(fd);
    unlink(tmp.c_str());
    return std::unexpected(ErrnoError(e, fmt::format("could not {} \"{}\"", what, tmp)));
  };
  if (fchmod(fd, mode) != 0) return fail("set the mode of");
  if (owner && fchown(fd, owner->uid, owner->gid) != 0) return fail("change the owner of");
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return std::unexpected(ErrnoError(e, fmt::format("could not close \"{}\"", tmp)));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return std::unexpected(
        ErrnoError(e, fmt::format("could not rename \"{}\" to \"{}\"", tmp, path)));
  }
  return FsyncPath(DirName(path), O_RDONLY | O_DIRECTORY);
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not open file \"{}\"", path)));
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return std::unexpected(ErrnoError(e, fmt::format("could not read file \"{}\"", path)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      close(fd);
      return Fail(ErrorKind::kFileAccess, fmt::format("file \"{}\" is too large", path),
                  fmt::format("The limit is {} bytes.", max_bytes));
    }
  }
  close(fd);
  return out;
}

Result<std::optional<struct stat>> StatPath(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<struct stat>{};
    return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", path)));
  }
  return std::optional<struct stat>{st};
}

Status MakeDirs(const std::string& path, mode_t mode, std::optional<Owner> owner) {
  if (path.empty()) return {};
  auto st = StatPath(path);
  if (!st) return std::unexpected(st.error());
  if (*st) {
    if (!S_ISDIR((*st)->st_mode))
      return Fail(ErrorKind::kFileAccess,
                  fmt::format("\"{}\" exists but is not a directory", path));
    return {};
  }
  std::string parent = DirName(path);
  if (parent != path) {
    if (auto ok = MakeDirs(parent, mode, owner); !ok) return ok;
  }
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not create directory \"{}\"", path)));
  if (owner && chown(path.c_str(), owner->uid, owner->gid) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not change owner of \"{}\"", path)));
  return {};
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec)
    return std::unexpected(ErrnoError(ec.value(), fmt::format("could not remove \"{}\"", path)));
  return {};
}

Status ChownTree(const std::string& path, Owner owner) {
  auto one = [&](const std::string& p) -> Status {
    if (lchown(p.c_str(), owner.uid, owner.gid) != 0)
      return std::unexpected(ErrnoError(errno, fmt::format("could not change owner of \"{}\"", p)));
    return {};
  };
  if (auto ok = one(path); !ok) return ok;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (auto ok = one(it->path().string()); !ok) return ok;
  }
  if (ec)
    return std::unexpected(ErrnoError(ec.value(), fmt::format("could not walk \"{}\"", path)));
  return {};
}

Result<unsigned long long> FreeBytes(const std::string& path) {
  struct statvfs sv {};
  if (statvfs(path.c_str(), &sv) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not stat filesystem of \"{}\"", path)));
  return static_cast<unsigned long long>(sv.f_bavail) * sv.f_frsize;
}

Result<TempDir> TempDir::Create(const std::string& parent, const std::string& prefix) {
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  if (mkdtemp(name.data()) == nullptr) {
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not create a temporary directory in \"{}\"", parent)));
  }
  TempDir t;
  t.path_ = name.data();
  return t;
}

TempDir::TempDir(TempDir&& other) noexcept { *this = std::move(other); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) (void)RemoveTree(path_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) (void)RemoveTree(path_);
}

std::string TempDir::Release() { return std::exchange(path_, {}); }

}  // namespace pgreplica
