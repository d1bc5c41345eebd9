#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
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

bool HasMountBelow(const std::string& path) {
  auto info = ReadFile("/proc/self/mountinfo", 16 << 20);
  if (!info) return false;
  const std::string prefix = path == "/" ? "/" : path + "/";
  size_t start = 0;
  while (start < info->size()) {
    size_t end = info->find('\n', start);
    if (end == std::string::npos) end = info->size();
    std::string_view line(info->data() + start, end - start);
    start = end + 1;
    // Fields: id parent major:minor root mount-point ...; spaces etc. escaped as \ooo.
    size_t field = 0, pos = 0;
    for (; field < 4 && pos != std::string_view::npos; ++field) {
      pos = line.find(' ', pos);
      if (pos != std::string_view::npos) ++pos;
    }
    if (pos == std::string_view::npos) continue;
    std::string_view raw = line.substr(pos, line.find(' ', pos) - pos);
    std::string mount;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size()) {
        int v = (raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0');
        mount += static_cast<char>(v);
        i += 3;
      } else {
        mount += raw[i];
      }
    }
    if (mount.size() > prefix.size() && mount.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

std::string DirName(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode,
                       std::optional<Owner> owner) {
  auto dir = Dir::Open(DirName(LexicalPath(path)));
  if (!dir) return std::unexpected(dir.error());
  return dir->WriteFileAtomic(BaseName(path), contents, mode, owner);
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes, bool no_follow) {
  if (no_follow) {
    auto dir = Dir::Open(DirName(LexicalPath(path)));
    if (!dir) return std::unexpected(dir.error());
    return dir->ReadFile(BaseName(path), max_bytes);
  }
  // O_NONBLOCK so that a FIFO cannot block the open; only a regular file is read.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not open file \"{}\"", path)));
  UniqueFd owned(fd);
  struct stat st {};
  if (fstat(fd, &st) != 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not stat file \"{}\"", path)));
  if (!S_ISREG(st.st_mode))
    return Fail(ErrorKind::kFileAccess, fmt::format("file \"{}\" is not a regular file", path),
                S_ISFIFO(st.st_mode) ? "It is a FIFO, which could block the read forever." : "");
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, fmt::format("could not read file \"{}\"", path)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return Fail(ErrorKind::kFileAccess, fmt::format("file \"{}\" is too large", path),
                  fmt::format("The limit is {} bytes.", max_bytes));
    }
  }
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
  std::string p = LexicalPath(path);
  if (auto dir = Dir::Open(p)) return {};
  // Create the missing tail below the nearest existing ancestor, one component at a time.
  std::string parent = DirName(p);
  if (parent != p) {
    if (auto ok = MakeDirs(parent, mode, owner); !ok) return ok;
  }
  auto dir = Dir::Open(parent);
  if (!dir) return std::unexpected(dir.error());
  std::string name = BaseName(p);
  auto st = dir->Stat(name);
  if (!st) return std::unexpected(st.error());
  if (*st) {
    if (!S_ISDIR((*st)->st_mode))
      return Fail(ErrorKind::kFileAccess,
                  fmt::format("\"{}\" exists but is not a directory", dir->PathOf(name)));
    return {};
  }
  return dir->MakeDir(name, mode, owner);
}

Status RemoveTree(const std::string& path) {
  std::string p = LexicalPath(path);
  auto st = StatPath(p);
  if (st && !*st) return {};  // missing is fine
  auto dir = Dir::Open(DirName(p));
  if (!dir) return std::unexpected(dir.error());
  return dir->RemoveTree(BaseName(p));
}

Result<unsigned long long> FreeBytes(const std::string& path) {
  struct statvfs sv {};
  if (statvfs(path.c_str(), &sv) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not stat filesystem of \"{}\"", path)));
  return static_cast<unsigned long long>(sv.f_bavail) * sv.f_frsize;
}

Result<unsigned long long> FreeBytes(const Dir& dir) {
  struct statvfs sv {};
  if (fstatvfs(dir.fd(), &sv) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not stat filesystem of \"{}\"", dir.path())));
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
