#pragma once
// Finding the PostgreSQL programs pgreplica drives and learning their major
// version.

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::pg {

// The programs a standby host needs, in the order doctor reports them.
inline const std::vector<std::string> kRequiredPrograms = {"pg_basebackup", "pg_ctl", "postgres",
                                                           "pg_verifybackup"};

struct Program {
  std::string name;
  std::string path;          // empty when not found
  int major = 0;             // 0 when unknown
  std::string version_text;  // "pg_basebackup (PostgreSQL) 15.18"
};

// Chooses the directory holding the PostgreSQL programs: `configured` when
// set; else /usr/lib/postgresql/<want_major>/bin when want_major is given and
// exists; else the directory of pg_ctl in PATH; else the highest
// /usr/lib/postgresql/*/bin. kEnvironment when none is found.
Result<std::string> ChooseBindir(const std::string& configured, std::optional<int> want_major);

// Locates `name` in `bindir` and asks it for its version (`name --version`).
Program InspectProgram(const std::string& bindir, const std::string& name);

// Parses "<name> (PostgreSQL) 15.18 (Debian ...)" into 15; 0 when unknown.
int ParseMajorVersion(const std::string& version_output);

// All the programs of a bindir; kEnvironment unless each exists with the
// same major version (and equals want_major when given).
Result<std::vector<Program>> InspectToolset(const std::string& bindir,
                                            std::optional<int> want_major);

}  // namespace pgreplica::pg
