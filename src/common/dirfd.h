#pragma once
// Root-safe file-system access through directory file descriptors.
//
// pgreplica runs as root in directories that the PostgreSQL OS user can write
// (a data directory's parent is usually owned by postgres). A path that root
// follows there could have been swapped for a symbolic link to any file of the
// host. So every change goes through a Dir: an open directory fd whose owner
// and device were read from the fd itself, and whose entries are created,
// opened, renamed and removed with *at() calls that never follow a symbolic
// link in the last component (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW). Opening a
// Dir by path walks from "/" one component at a time and, when running as
// root, follows a symbolic link only when the directory that holds it cannot
// be written by anyone but root (LinkIsTrusted).

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pgreplica {

struct Owner {
  uid_t uid;
  gid_t gid;
};

// Owns one file descriptor; closes it when it goes out of scope.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();

 private:
  int fd_ = -1;
};

// Whether a symbolic link with status `link` inside a directory with status `dir` may be
// followed by this process: always when it is not root; as root, only when the directory
// belongs to root and nobody else can write it (or it is sticky, like /tmp, and the link
// belongs to root).
bool LinkIsTrusted(const struct stat& dir, const struct stat& link);

class Dir {
 public:
  // Opens the directory at the absolute `path`, walking from "/" with O_NOFOLLOW and
  // following symbolic links only where LinkIsTrusted allows. path() is then the real path
  // (links, "." and ".." resolved). kFileAccess when a component is missing, not a directory,
  // or an untrusted link.
  static Result<Dir> Open(const std::string& path);
  Dir(Dir&&) noexcept = default;
  Dir& operator=(Dir&&) noexcept = default;

  int fd() const { return fd_.get(); }
  // The real path this directory had when it was opened (for messages and for programs).
  const std::string& path() const { return path_; }
  // The directory's status, read from the fd when it was opened.
  const struct stat& status() const { return st_; }
  std::string PathOf(std::string_view name) const;

  // Opens the entry `name` (one component) as a directory; fails on a symbolic link.
  Result<Dir> OpenDir(std::string_view name) const;
  // lstat of an entry; nullopt when it does not exist.
  Result<std::optional<struct stat>> Stat(std::string_view name) const;
  // The names of the entries, without "." and "..", unsorted.
  Result<std::vector<std::string>> List() const;
  Result<bool> IsEmpty() const;

  // mkdirat with `mode`, then owner and mode set through an fd of the new directory.
  Status MakeDir(std::string_view name, mode_t mode, std::optional<Owner> owner) const;
  // Renames an entry of this directory to `to` in `target` (this directory by default),
  // never replacing an existing entry (RENAME_NOREPLACE where the filesystem has it).
  Status Rename(std::string_view from, std::string_view to) const;
  Status Rename(std::string_view from, const Dir& target, std::string_view to) const;
  // Removes an entry and, for a directory, everything below it, without following a link
  // and without crossing into another filesystem (a mount point below is an error).
  // Missing is fine.
  Status RemoveTree(std::string_view name) const;
  // Removes an empty directory entry; false (no error) when it is not empty.
  Result<bool> RemoveEmptyDir(std::string_view name) const;
  // The target of the symbolic link `name`.
  Result<std::string> ReadLink(std::string_view name) const;
  // Makes `name` a symbolic link to `target` (owned by `owner`, if given), atomically
  // replacing a link that is there.
  Status ReplaceSymlink(std::string_view name, const std::string& target,
                        std::optional<Owner> owner = std::nullopt) const;

  // Opens a regular file (O_NOFOLLOW, O_NONBLOCK so that a FIFO cannot block); an entry that
  // is a link or not a regular file is refused with kInsecureFile.
  Result<UniqueFd> OpenFile(std::string_view name, int flags, mode_t mode = 0600) const;
  Result<std::string> ReadFile(std::string_view name, size_t max_bytes = 16 << 20) const;
  // Temporary file beside `name`, mode and owner set, written, fsynced, renamed over `name`,
  // then this directory fsynced. Readers see the old file or the new one.
  Status WriteFileAtomic(std::string_view name, const std::string& contents, mode_t mode,
                         std::optional<Owner> owner) const;
  // Sets owner and mode of the entry `name` through an fd opened without following links.
  Status ChownChmod(std::string_view name, std::optional<Owner> owner,
                    std::optional<mode_t> mode) const;
  // fsync of the directory itself (after renames in it).
  Status Sync() const;

 private:
  Dir(UniqueFd fd, std::string path, const struct stat& st)
      : fd_(std::move(fd)), path_(std::move(path)), st_(st) {}
  UniqueFd fd_;
  std::string path_;
  struct stat st_ {};
};

// Reads what is left of an open file (at most max_bytes); `path` names it in errors.
Result<std::string> ReadAll(int fd, const std::string& path, size_t max_bytes = 16 << 20);

// Reads the regular file at `path` (absolute, or relative to the working directory) the way
// Dir::Open walks: as root, every symbolic link on the way, the last component included, is
// followed only where LinkIsTrusted allows, so that a link another user planted anywhere on
// the path cannot make root read a file of that user's choice. kInsecureFile for such a link;
// kFileAccess for a missing entry or anything but a regular file (a FIFO cannot block).
Result<std::string> ReadFileByTrustedPath(const std::string& path, size_t max_bytes);

// A user for messages: "user \"postgres\" (uid 101)", or "user id 4711" when it has no name.
std::string UserLabel(uid_t uid);

// The last component of a path ("/a/b" -> "b"), and the path without it ("/a/b" -> "/a").
std::string BaseName(const std::string& path);

// `path` without "." components, repeated and trailing slashes; ".." is kept (it can only be
// resolved against the real directories, which Dir::Open does).
std::string LexicalPath(const std::string& path);

}  // namespace pgreplica
