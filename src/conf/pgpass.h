#pragma once
// libpq password files (~/.pgpass): escaping, parsing, merging one entry
// into an existing file, and writing it atomically with mode 0600.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fs.h"
#include "conf/config.h"

namespace pgreplica::conf {

// The OS user's password file: local.pgpass_file, else <home>/.pgpass.
std::string PgpassPath(const Config& config, const std::string& os_user_home);

struct PgpassEntry {
  std::string host;
  std::string port;
  std::string database;  // "replication" for replication connections
  std::string user;
  std::string password;
};

// Escapes ':' and '\' with a backslash, as libpq expects.
std::string EscapePgpassField(std::string_view field);
// The entry's line: fields escaped; a field that is exactly "*" (libpq's
// wildcard) and a host starting with '#' (a comment) written with a backslash
// so that libpq reads them literally. The password is never a wildcard.
std::string FormatPgpassLine(const PgpassEntry& entry);
// Parses one line; nullopt for comments, blank lines and lines without five fields.
std::optional<PgpassEntry> ParsePgpassLine(std::string_view line);

// Returns `existing` with the lines that match entry's host, port, database
// and user replaced by the entry (the first one kept in place, further ones
// dropped), or the entry appended. Other lines are kept as they are.
// `changed` tells whether the result differs from `existing`.
std::string MergePgpass(const std::string& existing, const PgpassEntry& entry, bool* changed);

// The password libpq would take from a password file's `text` for this connection: the first
// line whose fields match (each equal, or "*"). For replication connections `dbname` is
// "replication". nullopt when no line matches.
std::optional<std::string> FindPgpassPassword(std::string_view text, const std::string& host,
                                              const std::string& port, const std::string& dbname,
                                              const std::string& user);

// Reads the password for this connection from the OS user's password file the way root may:
// through the directory's fd, never through a link, only from a regular file with one name that
// belongs to `owner` and that nobody else can read (libpq's own rule). Root then hands the
// password to its own connections in memory, so that libpq (as root) never opens the file by
// path. Empty when the file has no entry; errors when it cannot be trusted.
Result<std::string> ReadPgpassPassword(const std::string& path, uid_t owner,
                                       const std::string& host, const std::string& port,
                                       const std::string& dbname, const std::string& user);

// Merges the entry into the file at `path` (created if missing) and writes it
// atomically with mode 0600 and the given owner. Reports whether the file
// changed. Never includes the password in an error. With `dry_run` nothing is
// written: the result tells whether the file would change (its lines, mode or owner).
Result<bool> WritePgpassEntry(const std::string& path, const PgpassEntry& entry, Owner owner,
                              bool dry_run = false);

}  // namespace pgreplica::conf
