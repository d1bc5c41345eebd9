#include "conf/trust.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "common/text.h"

#include "common/fs.h"

namespace pgreplica::conf {

namespace {

// Whether a POSIX access ACL is set (getfacl shows it). With one, the mode's group bits are
// the ACL's mask: the most any named user or group entry may do, whoever the group is.
constexpr const char* kAccessAcl = "system.posix_acl_access";
bool HasAccessAcl(const std::string& path) {
  return getxattr(path.c_str(), kAccessAcl, nullptr, 0) > 0;
}
bool HasAccessAcl(int fd) { return fgetxattr(fd, kAccessAcl, nullptr, 0) > 0; }

// Why `st` (of `what`) lets someone other than root write, or empty. `acl`: an access ACL is
// set, so group write (its mask) may be anyone's.
std::string Judge(const struct stat& st, const std::string& what, bool directory, bool acl) {
  if (st.st_uid != 0) return fmt::format("{} belongs to user id {}.", what, st.st_uid);
  bool sticky = directory && (st.st_mode & S_ISVTX) != 0;
  if (acl && (st.st_mode & S_IWGRP) && !sticky)
    return fmt::format(
        "{} has an access control list that may let other users write (getfacl shows it; mode "
        "{:04o}).",
        what, st.st_mode & 07777);
  if ((st.st_mode & S_IWOTH) && !sticky)
    return fmt::format("{} is writable by others (mode {:04o}).", what, st.st_mode & 07777);
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0 && !sticky)
    return fmt::format("{} is writable by group id {} (mode {:04o}).", what, st.st_gid,
                       st.st_mode & 07777);
  return "";
}

// The commands that make `path` root's alone.
std::string MakeRoots(const struct stat& st, const std::string& path) {
  return st.st_uid != 0 ? fmt::format("chown root: {0}; chmod go-w {0}", path)
                        : fmt::format("chmod go-w {}", path);
}

struct DirProblem {
  std::string reason, fix;
};

// Checks every directory above `path` (absolute), from its parent up to "/".
std::optional<DirProblem> JudgeDirectories(const std::string& path) {
  std::string dir = DirName(path);
  while (true) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) {
      return DirProblem{fmt::format("Its directory \"{}\" cannot be examined.", dir),
                        fmt::format("Check that \"{}\" exists and can be examined", dir)};
    }
    if (auto r = Judge(st, fmt::format("Its directory \"{}\"", dir), true, HasAccessAcl(dir));
        !r.empty()) {
      // The directory is what must change, not only the file in it: whoever can write the
      // directory can replace the file.
      return DirProblem{r, fmt::format("make the directory \"{}\" belong to root and writable "
                                       "only by root ({})",
                                       dir, MakeRoots(st, dir))};
    }
    if (dir == "/") return std::nullopt;
    dir = DirName(dir);
  }
}

}  // namespace

std::optional<Untrusted> FindUntrusted(const std::string& path) {
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&free)> cwd(getcwd(nullptr, 0), &free);
    if (!cwd) return Untrusted{"Its directory cannot be examined.", "Give an absolute path."};
    absolute = std::string(cwd.get()) + "/" + path;
  }
  struct stat st {};
  if (stat(absolute.c_str(), &st) != 0)
    return Untrusted{"It cannot be examined.", "Check that the file exists and is readable."};
  std::string file = Judge(st, "It", false, HasAccessAcl(absolute));
  auto dir = JudgeDirectories(absolute);
  // Through symbolic links: the file that is really read, and where it really is.
  if (!dir) {
    std::unique_ptr<char, decltype(&free)> real(realpath(absolute.c_str(), nullptr), &free);
    if (!real) {
      return Untrusted{"Its real path cannot be resolved.",
                       "Check the symbolic links on its path."};
    }
    if (real.get() != absolute) dir = JudgeDirectories(real.get());
  }
  if (file.empty() && !dir) return std::nullopt;
  std::string file_fix = fmt::format("the file belong to root and writable only by root ({})",
                                     MakeRoots(st, absolute));
  if (!dir) return Untrusted{file, "Make " + file_fix + "."};
  Untrusted out{file.empty() ? dir->reason : file + " " + dir->reason,
                fmt::format("Move the file to a directory that only root can write, such as "
                            "/etc/pgreplica, or {}.",
                            dir->fix)};
  if (!file.empty()) out.fix += " Either way, make " + file_fix + ".";
  return out;
}

std::string WritableByOthers(const std::string& path) {
  auto r = FindUntrusted(path);
  return r ? r->reason : "";
}

namespace {

std::string WritableByOthersAt(const std::string& path, std::string* contents, int links_left) {
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&free)> cwd(getcwd(nullptr, 0), &free);
    if (!cwd) return "Its directory cannot be examined.";
    absolute = std::string(cwd.get()) + "/" + path;
  }
  auto dir = Dir::Open(DirName(LexicalPath(absolute)));
  if (!dir) return AsSentence(dir.error().message);
  // A link to the configuration (/etc/pgreplica/pgreplica.yaml -> a checkout that
  // configuration management keeps) is followed only where no one but root could have made
  // or changed it: it is root's, in a directory only root can write; its target is then
  // judged the same way, directories and all.
  auto link = dir->Stat(BaseName(absolute));
  if (link && *link && S_ISLNK((*link)->st_mode)) {
    if (links_left == 0) return "It is reached through too many symbolic links.";
    if (auto r = JudgeDirectories(dir->PathOf(BaseName(absolute))))
      return "It is a symbolic link in a directory someone other than root can change. " +
             r->reason;
    if ((*link)->st_uid != 0) return "It is a symbolic link that belongs to someone else.";
    auto target = dir->ReadLink(BaseName(absolute));
    if (!target) return AsSentence(target.error().message);
    std::string next =
        !target->empty() && target->front() == '/' ? *target : dir->path() + "/" + *target;
    return WritableByOthersAt(next, contents, links_left - 1);
  }
  auto fd = dir->OpenFile(BaseName(absolute), O_RDONLY);
  if (!fd) return AsSentence(fd.error().message);
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return "It cannot be examined.";
  if (auto r = Judge(st, "It", false, HasAccessAcl(fd->get())); !r.empty()) return r;
  if (auto r = JudgeDirectories(dir->PathOf(BaseName(absolute)))) return r->reason;
  auto text = ReadAll(fd->get(), absolute, 1 << 20);
  if (!text) return AsSentence(text.error().message);
  if (contents) *contents = std::move(*text);
  return "";
}

}  // namespace

std::string WritableByOthers(const std::string& path, std::string* contents) {
  return WritableByOthersAt(path, contents, 8);
}

}  // namespace pgreplica::conf
