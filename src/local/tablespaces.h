#pragma once
// The tablespace directories of a standby already on this host: where its pg_tblspc links
// lead, whether such a directory may be moved with its data directory, and which tablespace
// directories other running servers on this host use (and must never be moved). Nothing here
// changes anything. The primary's tablespaces and where a clone puts them: clone/tablespaces.h.

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "local/datadir.h"
#include "local/location.h"
#include "proc/user.h"

namespace pgreplica::replica {

// Resolves one tablespace link of an existing data directory into the location it points to,
// which must be a directory of `user` that can be moved (not a mount point). A hostile OS user
// could point the link anywhere: the owner check keeps root from moving anything else.
Result<Location> ResolveOldTablespace(const TablespaceLink& link, const proc::OsUser& user);

// The tablespace directories of the other PostgreSQL servers running on this host (found by
// their postmasters' working directories and pg_tblspc links), other than the one in
// `own_data`. A standby on the primary's host that replayed a CREATE TABLESPACE shares the
// primary's directory: such a directory is never moved.
std::vector<FileId> TablespacesOfOtherServers(const std::string& own_data);

// Why `l` may not be renamed by pgreplica, or nullopt when it may: it must be missing or a
// directory of the OS user, never a mount point.
std::optional<std::string> WhyUnmovable(const Location& l, const proc::OsUser& user);

}  // namespace pgreplica::replica
