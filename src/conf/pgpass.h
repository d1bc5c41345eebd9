#pragma once
// libpq password files (~/.pgpass): escaping, parsing, merging one entry
// into an existing file, and writing it atomically with mode 0600.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/fs.h"

namespace pgreplica::conf {

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

// Merges the entry into the file at `path` (created if missing) and writes it
// atomically with mode 0600 and the given owner. Reports whether the file
// changed. Never includes the password in an error.
Result<bool> WritePgpassEntry(const std::string& path, const PgpassEntry& entry, Owner owner);

}  // namespace pgreplica::conf
