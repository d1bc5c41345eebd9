#pragma once
// What is in a local data directory, read from its files through the
// directory's fd (no link followed), without starting or connecting to anything.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "local/location.h"

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
  std::string primary_conninfo;                    // likewise
  uid_t owner = 0;
  mode_t mode = 0;
  std::vector<TablespaceLink> tablespaces;  // pg_tblspc links
};

// Reads the state of a location's directory (missing is a state, not an error).
Result<DataDirState> InspectDataDir(const Location& location);

// The pid of a live server in the real directory `data_directory`, from its postmaster.pid; 0
// when there is none. A pid that now belongs to another process (a stale file after a crash)
// does not count: the process's working directory must be the data directory (a postmaster
// chdirs there), where that can be read.
int RunningPostmaster(const std::string& data_directory);

// Waits up to `grace` until no server runs in `data_directory` (a stop may return a moment
// before the postmaster exits). Returns the pid of one that still runs, else 0.
int WaitForNoPostmaster(const std::string& data_directory, std::chrono::milliseconds grace);

// The last value of `name` in a postgresql.conf-style file ("" if absent).
std::string ReadConfSetting(const std::string& text, const std::string& name);

}  // namespace pgreplica::replica
