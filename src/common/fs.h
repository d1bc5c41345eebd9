#pragma once
// Files and directories by path: atomic writes, owned temporary directories,
// free space. Every change is made through common/dirfd.h (directory fds,
// no link followed in a directory another user can write); errors carry the
// path.

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "common/dirfd.h"
#include "common/error.h"

namespace pgreplica {

// Writes `contents` to `path` atomically: a temporary file in the same
// directory with `mode` (and owner, if given), fsync, rename, fsync of the
// directory. Readers see the old file or the new one, never a part. The
// directory is opened with Dir::Open and the file is never followed if it is a link.
Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode,
                       std::optional<Owner> owner = std::nullopt);

// Reads a whole file (at most max_bytes). kFileAccess when missing/unreadable.
// With `no_follow`, a symbolic link (in the last component) or a non-regular file is refused.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 16 << 20,
                             bool no_follow = false);

// lstat(2) with the path in the error; nullopt when the path does not exist.
Result<std::optional<struct stat>> StatPath(const std::string& path);

// Creates the directory (and parents) if needed, with `mode` (and owner) on those created,
// through directory fds; an existing link or non-directory in the way is an error.
Status MakeDirs(const std::string& path, mode_t mode, std::optional<Owner> owner = std::nullopt);

// Removes a tree without following links or crossing filesystems; missing is fine.
Status RemoveTree(const std::string& path);

// Free bytes for unprivileged users on the filesystem holding `path`.
Result<unsigned long long> FreeBytes(const std::string& path);
// Free bytes on the filesystem of an open directory.
Result<unsigned long long> FreeBytes(const Dir& dir);

// Whether a filesystem is mounted anywhere below the directory `path` (a real path), bind
// mounts of the same filesystem included, from /proc/self/mountinfo.
bool HasMountBelow(const std::string& path);

// The directory part of a path ("/a/b/c" -> "/a/b"; "c" -> ".").
std::string DirName(const std::string& path);

// `path` with symbolic links, "." and ".." resolved as far as it exists, and no trailing
// slash, so that two spellings of one directory compare equal. For comparisons only: never
// use it to decide where root writes (see Dir::Open).
std::string NormalPath(const std::string& path);

// A directory created with mkdtemp() and removed with its contents when the
// owner goes out of scope, unless Release()d.
class TempDir {
 public:
  // Creates `<parent>/<prefix>XXXXXX` with mode 0700.
  static Result<TempDir> Create(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Stops owning the directory; it stays on disk.
  std::string Release();

 private:
  TempDir() = default;
  std::string path_;
};

}  // namespace pgreplica
