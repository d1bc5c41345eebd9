#pragma once
// What is in a local data directory, read from its files without starting
// or connecting to anything.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::replica {

struct DataDirState {
  bool exists = false;
  bool empty = true;
  bool is_pgdata = false;                          // has PG_VERSION
  bool is_standby = false;                         // has standby.signal
  int major = 0;                                   // from PG_VERSION
  std::optional<std::uint64_t> system_identifier;  // from global/pg_control
  int postmaster_pid = 0;                          // a server running here (RunningPostmaster)
  std::string primary_slot_name;                   // last setting in the configuration files
};

Result<DataDirState> InspectDataDir(const std::string& path);

// The pid of a live server in `data_directory`, from its postmaster.pid; 0 when there is none.
// A pid that now belongs to another process (a stale file after a crash) does not count: the
// process's working directory must be the data directory (a postmaster chdirs there), where
// that can be read.
int RunningPostmaster(const std::string& data_directory);

// Waits up to `grace` until no server runs in `data_directory` (a stop may return a moment
// before the postmaster exits). Returns the pid of one that still runs, else 0.
int WaitForNoPostmaster(const std::string& data_directory, std::chrono::milliseconds grace);

// The last value of `name` in a postgresql.conf-style file ("" if absent).
std::string ReadConfSetting(const std::string& text, const std::string& name);

// Directories named <data_directory>.old-<stamp>, oldest first.
std::vector<std::string> OldDirectories(const std::string& data_directory);

// The staging directory of a clone: beside the data directory, so the final
// rename stays on one filesystem, and at a fixed name, so a killed run's
// leftover is found again: <data_directory>.pgreplica-staging
std::string StagingPathFor(const std::string& data_directory);

}  // namespace pgreplica::replica
