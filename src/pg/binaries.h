#pragma once
// Finding the PostgreSQL programs pgreplica drives and learning their major
// version.

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::pg {

// The programs every standby host needs, in the order doctor reports them; doctor adds the
// verifier's program (VerifierProgram) when it is not one of them.
inline const std::vector<std::string> kRequiredPrograms = {"pg_basebackup", "pg_ctl", "postgres",
                                                           "pg_verifybackup"};

// The version rule of a clone. The server programs run the copied data directory, so they must
// be of the primary's major version exactly; they are taken from local.bindir. The client
// programs may be newer than the primary, never older: pg_basebackup copies from older servers,
// and pg_verifybackup checks an older copy's files against its manifest (but reads only its own
// major version's WAL); they are taken from local.client_bindir, by default local.bindir.
inline const std::vector<std::string> kServerPrograms = {"pg_ctl", "postgres"};
inline const std::vector<std::string> kClientPrograms = {"pg_basebackup", "pg_verifybackup"};

struct Program {
  std::string name;
  std::string path;          // empty when not found
  int major = 0;             // 0 when unknown
  std::string version_text;  // "pg_basebackup (PostgreSQL) 15.18"
};

// Chooses the directory holding the PostgreSQL programs: `configured` when
// set; else /usr/lib/postgresql/<want_major>/bin when want_major is given and
// exists; else the real directory of pg_ctl in PATH (links resolved); else the
// highest /usr/lib/postgresql/*/bin. kEnvironment when none is found.
Result<std::string> ChooseBindir(const std::string& configured, std::optional<int> want_major);

// Locates `name` in `bindir` and asks it for its version (`name --version`): path empty when
// it is not an executable there, major 0 when it reports no version.
Program InspectProgram(const std::string& bindir, const std::string& name);

// Parses "<name> (PostgreSQL) 15.18 (Debian ...)" into 15; 0 when unknown.
int ParseMajorVersion(const std::string& version_output);

// One program against the version rule above (`server`: one of kServerPrograms); kEnvironment
// with message, detail and hint when it breaks it.
Status CheckProgramVersion(const Program& program, bool server, int primary_major);

// The programs a clone runs, found and checked against the version rule.
struct CloneToolset {
  std::string server_bindir;  // pg_ctl, postgres
  std::string client_bindir;  // pg_basebackup, the verifier's program
  std::string verifier;       // pg_verifybackup, pg_waldump or empty
  int server_major = 0;
  int basebackup_major = 0;
  int verifier_major = 0;
  std::vector<Program> programs;  // server programs first
};

// The program a clone's verification runs, by clone.verify: pg_waldump for "builtin" (the
// built-in verifier parses the copy's WAL with it), pg_verifybackup, or "" for "off".
std::string VerifierProgram(const std::string& verify_mode);

// Finds kServerPrograms in server_bindir, and pg_basebackup and `verifier` (the program the
// chosen verification runs: pg_verifybackup, pg_waldump for the built-in verifier, or none
// when empty) in client_bindir (server_bindir when empty). kEnvironment when one is missing or
// reports no version, when the server programs differ in major version, or (when
// primary_major is given) when one breaks the version rule.
Result<CloneToolset> InspectCloneToolset(const std::string& server_bindir,
                                         const std::string& client_bindir,
                                         std::optional<int> primary_major,
                                         const std::string& verifier = "pg_verifybackup");

}  // namespace pgreplica::pg
