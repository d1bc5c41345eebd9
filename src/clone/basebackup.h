#pragma once
// Clone step 4, the copy: pg_basebackup's argv (never a secret in it), its
// progress lines, running it as the PostgreSQL OS user, and fitting the
// primary_conninfo it writes to a standby of an older major version.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "pg/conninfo.h"
#include "proc/user.h"

namespace pgreplica::replica {

struct BasebackupSpec {
  std::string bindir;
  std::string staging;     // target directory (must not exist or be empty)
  pg::ConnParams primary;  // replication connection without a password
  std::string slot;        // --slot
  std::string max_rate;    // --max-rate, optional
  std::string compress;    // --compress, optional
  // --tablespace-mapping=OLDDIR=NEWDIR for each (primary's location, staged location here).
  std::vector<std::pair<std::string, std::string>> tablespace_mapping;
};

// The argv of pg_basebackup: --checkpoint=fast --wal-method=stream
// --write-recovery-conf --slot=... --progress --no-password, and the
// connection as a conninfo string that never holds the password.
std::vector<std::string> BasebackupArgv(const BasebackupSpec& spec);

struct CopyProgress {
  std::uint64_t done_bytes = 0;
  std::uint64_t total_bytes = 0;
  double rate_bytes_per_second = 0;
  std::optional<double> eta_seconds;
  double elapsed_seconds = 0;
};

// Parses a progress line of pg_basebackup ("12345/67890 kB (18%), ...") into
// (done, total) kilobytes; nullopt for other lines and for numbers that do
// not fit in 64 bits.
std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseProgressKb(const std::string& line);
// The progress for those kilobytes after `elapsed_seconds`; nullopt when a
// byte count would overflow.
std::optional<CopyProgress> ProgressFromKb(std::uint64_t done_kb, std::uint64_t total_kb,
                                           double elapsed_seconds);

struct CopyHooks {
  std::function<void(const CopyProgress&)> on_progress;
  std::function<void(const std::string&)> on_output;  // every line pg_basebackup prints
  std::function<bool()> cancel;
};

// Runs pg_basebackup as `user` with PGPASSFILE=`passfile`. kChildFailed
// (with its last lines as detail) when it fails, kInterrupted when cancelled.
Status RunBasebackup(const BasebackupSpec& spec, const proc::OsUser& user,
                     const std::string& passfile, const CopyHooks& hooks);

// pg_basebackup --write-recovery-conf writes every option its own libpq knows into
// primary_conninfo (sslsni=1 from 14 on, ...). A standby of an older major version reads it
// with that version's libpq, which refuses options it does not know ("invalid connection
// option"). Given the copy's postgresql.auto.conf, returns the line that sets primary_conninfo
// again without the options libpq `server_major` does not have; nullopt when there are none.
std::optional<std::string> PrimaryConninfoForServer(const std::string& auto_conf, int server_major);

}  // namespace pgreplica::replica
