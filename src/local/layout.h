#pragma once
// Everything on this host that belongs to one standby: its data directory and
// the directories of its tablespaces, as Locations (local/location.h), and
// the one operation that changes them: moving a data directory and its
// tablespace directories aside together, and back. A data directory moved
// aside keeps working: its pg_tblspc links are pointed at its own moved
// tablespace directories, so that "<data>.old-<stamp>" can be started (or
// put back) as it is.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dirfd.h"
#include "common/error.h"
#include "local/location.h"
#include "proc/user.h"

namespace pgreplica::replica {

// A user tablespace of the primary and where its copy goes on this host.
struct TablespaceTarget {
  std::string oid;
  std::string name;              // spcname on the primary
  std::string primary_location;  // pg_tablespace_location() on the primary
  std::uint64_t size_bytes = 0;
  bool mapped = false;  // local.tablespace_mapping names it; else the primary's path is used
  Location local;
};

// A tablespace of the existing local data directory (from its pg_tblspc links).
struct OldTablespace {
  TablespaceLink link;
  Location location;
};

struct LocalLayout {
  Location data;
  std::vector<TablespaceTarget> tablespaces;   // filled by the preflight
  std::vector<OldTablespace> old_tablespaces;  // filled by the preflight
  std::string stamp;                           // the UTC stamp of this run's .old-/.failed- names
};

// local.tablespace_mapping entries "OLDDIR=NEWDIR" (as pg_basebackup's --tablespace-mapping,
// without escapes) as a map from the primary's location to the location on this host.
Result<std::map<std::string, std::string>> ParseTablespaceMapping(
    const std::vector<std::string>& entries);

// What MoveTogether did, so that MoveBack can undo it.
struct MovedAside {
  std::string suffix;                        // e.g. ".old-20261126T120000Z"
  bool data_moved = false;                   // the data directory was renamed to <name><suffix>
  std::vector<const Location*> tablespaces;  // renamed to <name><suffix>
  std::vector<TablespaceLink> relinked;      // links of the moved data directory, as they were
  std::string DataPath(const Location& data) const { return data.SiblingPath(suffix); }
};

// Renames `data` (when it exists) and each of `tablespaces` to <name><suffix> (never
// replacing anything), fsyncs their parents, then points each pg_tblspc link of the moved
// data directory whose target is one of the moved tablespaces at its new name (links owned by
// `link_owner`). On error everything done is undone and the error says what could not be.
Result<MovedAside> MoveTogether(const Location& data,
                                const std::vector<const Location*>& tablespaces,
                                std::string_view suffix, std::optional<Owner> link_owner);

// Undoes MoveTogether: the links first, then the renames in reverse order. Returns the
// first error, having tried everything.
Status MoveBack(const Location& data, const MovedAside& moved, std::optional<Owner> link_owner);

// Removes the directories MoveTogether moved aside that are (still) empty: an empty data
// directory or tablespace location that a first copy replaced. Returns their paths.
std::vector<std::string> RemoveEmptyMoved(const Location& data, const MovedAside& moved);

// Removes all but the newest `keep` "<data>.old-<stamp>" copies, each with the tablespace
// directories it links to that were moved aside with it ("<location>.old-<same stamp>",
// belonging to `owner`). Returns the paths removed; what could not be removed goes to
// `problems`.
// `trusted_parents` are directories root's configuration named (the parents of mapped tablespace
// locations): there a tablespace copy is removed even when the directory is root's; elsewhere
// only in a directory of the OS user, since the old copy's links are the OS user's to change.
std::vector<std::string> PruneOldCopies(const Location& data, int keep, const proc::OsUser& owner,
                                        const std::vector<std::string>& trusted_parents,
                                        std::vector<std::string>* problems);

// Removes the entry `name` of `parent`, a copy pgreplica made that belongs to the OS user: its
// contents are removed by the OS user itself (`rm -rf --one-file-system`, run as that user),
// so that root deletes nothing the OS user could not; then root removes the emptied directory
// (its parent may belong to root). An entry of another user is refused, a symbolic link is
// removed itself. Missing is fine.
Status RemoveAsOsUser(const Dir& parent, const std::string& name, const proc::OsUser& owner);

// Removes the staging siblings of the data directory and of each new tablespace location
// (through the parents' fds, following no link). Returns the first error.
Status RemoveStaging(const LocalLayout& layout, const proc::OsUser& owner);

// Points <data dir>/pg_tblspc/<oid> at `target` for each pair (oid, target).
Status Relink(const Dir& data_directory, const std::vector<TablespaceLink>& links,
              std::optional<Owner> owner);

}  // namespace pgreplica::replica
