#pragma once
// The tablespaces of a clone, judged in the preflight. A plain-format
// pg_basebackup writes each user tablespace to its absolute location, outside
// the staging directory, so the clone maps each one (--tablespace-mapping) to
// a staged sibling of its location on this host ("<location>.pgreplica-staging")
// and the swap moves them in together with the data directory. The existing
// standby's own tablespaces (its pg_tblspc links) are moved aside with it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/report.h"
#include "local/datadir.h"
#include "local/layout.h"
#include "local/tablespaces.h"
#include "pg/connection.h"
#include "proc/user.h"

namespace pgreplica::replica {

struct PrimaryTablespace {
  std::string oid;
  std::string name;
  std::string location;  // pg_tablespace_location(); relative or empty for in-place tablespaces
  std::uint64_t size_bytes = 0;
};

// The primary's tablespaces other than pg_default and pg_global, by oid.
Result<std::vector<PrimaryTablespace>> ListPrimaryTablespaces(pg::Connection& sql);

// Resolves the existing data directory's tablespace links into layout.old_tablespaces and
// reports each: it must be a directory of the OS user, not a mount point, so that it can be
// moved aside with the data directory. One that is also another server's (`shared`, e.g. the
// primary's own on this host) is left where it is, with a warning. Nothing is changed.
void JudgeOldTablespaces(const DataDirState& local, const proc::OsUser& user,
                         const std::vector<FileId>& shared, LocalLayout& layout,
                         CheckReport& report);

// Resolves where each of the primary's tablespaces goes on this host (`mapping`, else the
// primary's location) into layout.tablespaces and reports each: the location must be free,
// empty, or the existing standby's own tablespace; it must not overlap the data directory or
// another tablespace's directory, nor lie in a copy beside the data directory (<name>.old-*,
// staging and the like), and the swap must be able to move it (WhyUnmovable: the OS user's,
// not a mount point). A location the primary reports is resolved as the primary's choice, not
// root's (Origin). Mapping entries no tablespace uses are warned about. `plan` receives one
// JSON object per tablespace (in-place ones included). Nothing is changed.
void JudgeNewTablespaces(const std::vector<PrimaryTablespace>& primary,
                         const std::map<std::string, std::string>& mapping,
                         const proc::OsUser& user, LocalLayout& layout, CheckReport& report,
                         nlohmann::json& plan);

}  // namespace pgreplica::replica
