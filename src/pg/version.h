#pragma once
// Server version gates, as named constants (server_version_num values).

namespace pgreplica::pg {

// The oldest primary pgreplica supports: pg_basebackup manifests and
// pg_verifybackup arrived in 13; wal_status/safe_wal_size in 13.
inline constexpr int kMinServerVersion = 130000;

// 150004 -> 15
inline constexpr int MajorVersion(int server_version_num) { return server_version_num / 10000; }

}  // namespace pgreplica::pg
