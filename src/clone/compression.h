#pragma once
// What the copy asks pg_basebackup to compress: clone.compress resolved against the primary's
// version, its build and where it is. "auto" (the default) compresses on the primary with zstd
// (lz4 when its build has no zstd) when the primary is another host running PostgreSQL 15 or
// later, and copies uncompressed otherwise.

#include <string>

#include "common/error.h"

namespace pgreplica::replica {

// BASE_BACKUP ... COMPRESSION (server-side compression) is new in PostgreSQL 15; 13 and 14
// compress only on the client, which pg_basebackup does for tar format only.
inline constexpr int kMinVersionForServerCompression = 150000;

// The compression methods the primary's build has (lz4 and zstd are optional at build time),
// read from the values pg_settings lists for wal_compression (an enum from 15 on).
struct ServerMethods {
  bool known = false;  // false: not read (no admin login, or an older server)
  bool lz4 = false;
  bool zstd = false;
};
// The query for ServerMethods on an admin connection: one row, lz4 and zstd as booleans.
inline constexpr const char* kServerMethodsQuery =
    "SELECT coalesce('lz4' = ANY(enumvals), false), coalesce('zstd' = ANY(enumvals), false) "
    "FROM pg_settings WHERE name = 'wal_compression'";

struct CompressionChoice {
  std::string compress;  // the --compress value; empty: none (pg_basebackup's default)
  std::string note;      // what and why, for the output ("compressed with zstd on the ...")
};

// configured: clone.compress (validated: "auto", empty, a none, or a server-side method).
// primary_version: server_version_num, 0 when unknown (then auto copies uncompressed).
// primary_is_local: the primary runs on this host (loopback, a socket or a local address).
// Fails (kEnvironment) for an explicit server-side method that the primary cannot do: older
// than 15, or (when known) a build without that method.
Result<CompressionChoice> ChooseCompression(const std::string& configured, int primary_version,
                                            bool primary_is_local, const ServerMethods& methods);

}  // namespace pgreplica::replica
