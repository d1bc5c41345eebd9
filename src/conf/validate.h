#pragma once
// Value checks shared by the configuration schema and the command line.
// Each returns the reason (a complete sentence) when the value is not
// acceptable, or nullopt.

#include <optional>
#include <string>

namespace pgreplica::conf {

using Problem = std::optional<std::string>;

Problem CheckNoControl(const std::string& v);
// A host name, an IP address, or an absolute socket directory; no spaces or quotes.
Problem CheckHost(const std::string& v);
// A database or role name: 1 to 63 bytes, no control characters.
Problem CheckIdentifierText(const std::string& v);
// An OS user name: letters, digits, '_', '-', '.'; not root (PostgreSQL refuses to run as root).
Problem CheckOsUserName(const std::string& v);
Problem CheckAbsolutePath(const std::string& v);
Problem CheckOptionalAbsolutePath(const std::string& v);
// Empty, or an existing directory.
Problem CheckOptionalDirectory(const std::string& v);
// Empty, or a valid physical slot name: [a-z0-9_], 1 to 63 bytes.
Problem CheckOptionalSlotName(const std::string& v);
Problem CheckSlotName(const std::string& v);
// A replica's host name as decommission --node takes it: dot-separated labels
// of letters, digits, '-' and '_' (none empty, none starting with '-'); not an
// IP address, a path, ".", "..", or a name with spaces.
Problem CheckNodeName(const std::string& v);
Problem CheckOptionalCidr(const std::string& v);
Problem CheckServiceType(const std::string& v);
// Empty, or a systemd unit or rc script name: not starting with '-' (it would
// be an option of systemctl or service), no white space, '/', quotes or
// control characters.
Problem CheckOptionalUnitName(const std::string& v);
// A path that pg_ctl puts into a /bin/sh command line in double quotes: no
// '"', '$', '`', '\' or control characters.
Problem CheckShellQuotablePath(const std::string& v);
// pg_basebackup --max-rate: digits with an optional k or M.
Problem CheckOptionalRate(const std::string& v);
// A single word without spaces or control characters.
Problem CheckOptionalToken(const std::string& v);
// Empty, "auto" (pgreplica's choice, clone/compression.h), or a pg_basebackup 15 --compress
// value that works with the plain format pgreplica copies in: none ([client-|server-]none), or
// server-gzip, server-lz4 or server-zstd with an optional ":LEVEL" or ":level=N[,workers=N]"
// (workers for zstd only), levels in PostgreSQL's ranges. Client-side compression (a plain level,
// gzip, client-zstd...) is refused: pg_basebackup does it only for tar format, and would fail after
// the preflight.
Problem CheckOptionalCompress(const std::string& v);
// A standby name for check.expected_standbys: not empty, no control characters.
Problem CheckStandbyName(const std::string& v);
// A bare IP address as a one-host CIDR block ("10.0.0.1" -> "10.0.0.1/32", "::1" ->
// "::1/128"); anything else unchanged. pg_hba.conf needs the prefix length.
std::string NormalizeCidr(const std::string& v);
// "OLDDIR=NEWDIR" with two absolute paths and one "=".
Problem CheckTablespaceMapping(const std::string& v);

}  // namespace pgreplica::conf
