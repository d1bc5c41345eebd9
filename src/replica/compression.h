#pragma once
// What the copy asks pg_basebackup to compress: clone.compress resolved against the primary's
// version and where the primary is. "auto" (the default) compresses with lz4 on the primary
// when the primary is another host running PostgreSQL 15 or later, and copies uncompressed
// otherwise.

#include <string>

#include "common/error.h"

namespace pgreplica::replica {

// BASE_BACKUP ... COMPRESSION (server-side compression) is new in PostgreSQL 15; 13 and 14
// compress only on the client, which pg_basebackup does for tar format only.
inline constexpr int kMinVersionForServerCompression = 150000;
// What "auto" picks for another host: lz4's fastest level compresses at several hundred MB/s
// per core, faster than a 1 Gbit/s link carries, and pg_basebackup decompresses it here.
inline constexpr const char* kAutoCompress = "server-lz4";

struct CompressionChoice {
  std::string compress;  // the --compress value; empty: none (pg_basebackup's default)
  std::string note;      // why, one clause for the output ("lz4 on the primary: ...")
};

// configured: clone.compress (validated: "auto", empty, a none, or a server-side method).
// primary_version: server_version_num, 0 when unknown (then auto copies uncompressed).
// primary_is_local: the primary runs on this host (loopback, a socket or a local address).
// Fails (kEnvironment) only for an explicit server-side method against a primary older than 15.
Result<CompressionChoice> ChooseCompression(const std::string& configured, int primary_version,
                                            bool primary_is_local);

}  // namespace pgreplica::replica
