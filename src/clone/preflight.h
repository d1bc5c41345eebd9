#pragma once
// Clone step 2 (after the lock): everything is checked before anything is
// touched, and every check is reported (not only the first failure; a check
// that cannot go on, such as one without a replication connection, reports
// why and the later checks that need it are left out). The outcome is a
// report and, when it passed, the plan the clone will follow.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clone/compression.h"
#include "common/report.h"
#include "conf/config.h"
#include "local/datadir.h"
#include "local/layout.h"
#include "pg/connection.h"
#include "primary/slot.h"
#include "proc/user.h"

namespace pgreplica::replica {

struct ClonePlan {
  std::string data_directory;  // as configured (normalised)
  std::string data_real;       // the real directory (differs when the configured one is a link)
  std::string staging;
  std::string old_directory;  // where the current data directory goes (if it exists)
  std::string slot;           // the host's slot, named in primary_slot_name
  std::string copy_slot;  // the slot pg_basebackup streams through (slot, or a temporary copy slot)
  bool create_slot = false;  // slot does not exist yet: created with WAL reserved before the copy
  bool replace_existing = false;  // a data directory exists and is moved aside
  bool stop_running = false;      // the local server runs and is stopped at the swap
  bool remove_leftover_staging = false;
  std::string bindir;         // the standby's server programs (the primary's major version)
  std::string client_bindir;  // pg_basebackup and pg_verifybackup (that major or newer)
  int primary_major = 0;
  int verifier_major = 0;  // pg_verifybackup's
  std::string pgpass_file;
  std::string service;   // description
  std::string log_file;  // the server log (service type pg_ctl)
  std::vector<std::string> basebackup_argv;
  std::string compress;       // pg_basebackup --compress, resolved from clone.compress; "": none
  std::string compress_note;  // why, for the copy's report (clone/compression.h)
  std::string verify;         // the verifier (clone.verify): builtin, pg_verifybackup or off
  nlohmann::json primary_compression_methods;            // ["lz4", "zstd"] as read; null: not read
  nlohmann::json tablespaces = nlohmann::json::array();  // one object each, for the report
  std::vector<int> leftover_pids;  // pg_basebackup left by a killed run, ended before the copy
  nlohmann::json ToJson() const;
};

struct PreflightFacts {
  int primary_version = 0;
  std::string system_identifier;
  std::optional<std::uint64_t> primary_size_bytes;
  SlotInfo slot;
  bool catalog_available = false;  // an SQL connection to the primary worked
  DataDirState local;
  bool local_running = false;
  std::uint64_t tablespaces_bytes = 0;  // the primary's user tablespaces together
  ServerMethods server_methods;         // the primary's build: lz4, zstd (15 and later)
};

struct PreflightResult {
  CheckReport report;
  PreflightFacts facts;
  ClonePlan plan;
  // The replication password from the OS user's password file, read root-safe, for this
  // process's own connections to the primary (held in memory only; never serialized).
  std::string replication_password;
};

struct PreflightInputs {
  const conf::Config& config;
  proc::OsUser os_user;
  std::string slot;  // resolved slot name
  // --force: a running server that is not a standby (another primary, or a promoted standby
  // of this primary) in the data directory is a warning instead of a failure. The primary
  // itself is refused always.
  bool force = false;
  // The local directories; the preflight fills in the tablespaces (the primary's, and those of
  // the existing data directory).
  LocalLayout& layout;
  std::vector<int> ended_leftovers;  // pids of a killed run's pg_basebackup ended just before
  std::vector<int> leftovers;        // such pids still running (dry runs end nothing)
  // What putting back an interrupted swap did (or, in a dry run, would do).
  std::vector<std::string> recovered;
  bool dry_run = false;
};

// The pg_basebackup invocation of a plan (the same for --dry-run and the real copy).
struct BasebackupSpec;
BasebackupSpec BasebackupSpecFor(const conf::Config& config, const ClonePlan& plan,
                                 const LocalLayout& layout);

// Never fails as a whole: every problem is an item of the report. Reads only: nothing is
// created, locked or changed.
PreflightResult RunPreflight(PreflightInputs& in);

// Whether `host` is this host, for "the primary is this host" checks: empty or a socket
// directory, localhost, a loopback address, this host's name, or a name or address that
// resolves (as libpq would look it up) to one of this host's addresses.
bool IsLocalHost(const std::string& host);

}  // namespace pgreplica::replica
