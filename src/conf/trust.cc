#include "conf/trust.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::conf {

namespace {

// The reason why `st` (of `what`) lets someone other than root write, or empty.
std::string Judge(const struct stat& st, const std::string& what, bool directory) {
  if (st.st_uid != 0) return fmt::format("{} belongs to user id {}.", what, st.st_uid);
  bool sticky = directory && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & S_IWOTH) && !sticky)
    return fmt::format("{} is writable by others (mode {:04o}).", what, st.st_mode & 07777);
  if ((st.st_mode & S_IWGRP) && st.st_gid != 0 && !sticky)
    return fmt::format("{} is writable by group id {} (mode {:04o}).", what, st.st_gid,
                       st.st_mode & 07777);
  return "";
}

// Checks every directory above `path` (absolute), from its parent up to "/".
std::string JudgeDirectories(const std::string& path) {
  std::string dir = DirName(path);
  while (true) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0)
      return fmt::format("Its directory \"{}\" cannot be examined.", dir);
    if (auto r = Judge(st, fmt::format("Its directory \"{}\"", dir), true); !r.empty()) return r;
    if (dir == "/") return "";
    dir = DirName(dir);
  }
}

}  // namespace

std::string WritableByOthers(const std::string& path) {
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&free)> cwd(getcwd(nullptr, 0), &free);
    if (!cwd) return "Its directory cannot be examined.";
    absolute = std::string(cwd.get()) + "/" + path;
  }
  struct stat st {};
  if (stat(absolute.c_str(), &st) != 0) return "It cannot be examined.";
  if (auto r = Judge(st, "It", false); !r.empty()) return r;
  if (auto r = JudgeDirectories(absolute); !r.empty()) return r;
  // Through symbolic links: the file that is really read, and where it really is.
  std::unique_ptr<char, decltype(&free)> real(realpath(absolute.c_str(), nullptr), &free);
  if (!real) return "Its real path cannot be resolved.";
  if (real.get() != absolute) return JudgeDirectories(real.get());
  return "";
}

std::string WritableByOthers(const std::string& path, std::string* contents) {
  std::string absolute = path;
  if (absolute.empty() || absolute.front() != '/') {
    std::unique_ptr<char, decltype(&free)> cwd(getcwd(nullptr, 0), &free);
    if (!cwd) return "Its directory cannot be examined.";
    absolute = std::string(cwd.get()) + "/" + path;
  }
  auto dir = Dir::Open(DirName(LexicalPath(absolute)));
  if (!dir) return dir.error().message + ".";
  auto fd = dir->OpenFile(BaseName(absolute), O_RDONLY);
  if (!fd) return fd.error().message + ".";
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return "It cannot be examined.";
  if (auto r = Judge(st, "It", false); !r.empty()) return r;
  if (auto r = JudgeDirectories(dir->PathOf(BaseName(absolute))); !r.empty()) return r;
  auto text = ReadAll(fd->get(), absolute, 1 << 20);
  if (!text) return text.error().message + ".";
  if (contents) *contents = std::move(*text);
  return "";
}

}  // namespace pgreplica::conf
