#pragma once
// A directory that a clone or a decommission replaces as a whole: the data
// directory, or a tablespace's location on this host. Built once from the
// configured path; it knows the real directory behind a symbolic link, holds
// an fd of the directory that contains it (opened root-safe, common/dirfd.h),
// and derives every sibling name from the real directory, so that two
// spellings of one data directory share one lock, one staging directory and
// one set of .old-* copies.
//
// Supported layouts (docs/clone.md, "Layouts"):
// - a plain directory, or a path that does not exist yet below an existing parent;
// - a symbolic link to a directory (/var/lib/postgresql/15/main -> /srv/pg/main): followed
//   once, even in a directory the PostgreSQL OS user can write, because that is the user's
//   layout; everything else happens beside the link's target, so afterwards the link still
//   points to the same place;
// - never the root of a mounted filesystem: it cannot be renamed (EBUSY), so the preflight
//   refuses it before anything is touched (mount_point).

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dirfd.h"
#include "common/error.h"

namespace pgreplica::replica {

// Suffixes of the names derived from a location's real directory name.
inline constexpr std::string_view kStagingSuffix = ".pgreplica-staging";
inline constexpr std::string_view kLockSuffix = ".pgreplica.lock";
inline constexpr std::string_view kOldInfix = ".old-";
inline constexpr std::string_view kFailedInfix = ".failed-";
inline constexpr std::string_view kDecommissionedInfix = ".decommissioned-";

// The identity of a file or directory, whatever its path is spelled.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
  static FileId Of(const struct stat& st) { return {st.st_dev, st.st_ino}; }
};

struct Location {
  std::string configured;         // the configured path, lexically normalised (no trailing slash)
  std::string link_target;        // when `configured` is a symbolic link: its target as written
  std::string real;               // the real directory (links resolved)
  std::string name;               // BaseName(real)
  Dir parent;                     // the directory holding `real`, opened root-safe
  std::optional<struct stat> st;  // lstat of `real`; nullopt when it does not exist
  bool mount_point = false;       // `real` is the root of a mounted filesystem

  bool exists() const { return st.has_value(); }
  bool is_link() const { return !link_target.empty(); }
  // The name and the path of a sibling: name + suffix (e.g. kStagingSuffix).
  std::string Sibling(std::string_view suffix) const { return name + std::string(suffix); }
  std::string SiblingPath(std::string_view suffix) const { return parent.PathOf(Sibling(suffix)); }
  // Opens the directory itself (no link followed).
  Result<Dir> Open() const { return parent.OpenDir(name); }
};

// Who chose a path decides where root may act on it.
struct Origin {
  // Root's configuration or command line named it. Otherwise another party chose it (a
  // tablespace location reported by the primary, a link found in a directory the OS user can
  // write): then, when running as root, the directory that holds the location must belong to
  // the OS user, so that root creates, renames and removes there only what that user could
  // itself. The same holds for the target of a symbolic link that root does not own.
  bool configured = true;
  uid_t os_user = 0;
};

// Resolves an absolute directory path. The parent must exist; the directory itself may be
// missing, a directory, or a symbolic link to an existing directory. Errors: kFileAccess
// (missing parent, dangling link, link to a non-directory, not a directory), kInsecureFile (a
// link on the way in a directory another user can write, other than the last component; a
// location another party chose in a directory the OS user does not own).
Result<Location> ResolveLocation(const std::string& path, const Origin& origin = {});

// Whether the entry `name` of `parent` (with lstat `st`) is the root of a mounted filesystem:
// another device than its parent, or a bind mount (statx STATX_ATTR_MOUNT_ROOT).
bool IsMountPoint(const Dir& parent, std::string_view name, const struct stat& st);

// A tablespace link of a data directory: pg_tblspc/<oid> -> target.
struct TablespaceLink {
  std::string oid;
  std::string target;  // as written in the link (absolute for user tablespaces)
};

// The symbolic links in <data directory>/pg_tblspc, sorted by oid. In-place tablespaces
// (directories, PostgreSQL 15's allow_in_place_tablespaces) are not links and are skipped:
// they move with the data directory. Missing pg_tblspc: none.
Result<std::vector<TablespaceLink>> ReadTablespaceLinks(const Dir& data_directory);

// The "<name>.old-<stamp>" (or another infix) siblings of a location, oldest first.
Result<std::vector<std::string>> SiblingsWithInfix(const Location& location,
                                                   std::string_view infix);

}  // namespace pgreplica::replica
