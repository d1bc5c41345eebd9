#pragma once
// Clone step 6: the few seconds in which the standby is down. Stop the old
// server, move its data directory aside, move the verified copy into place,
// start. If the new copy does not start, the old data directory is put back
// (and started if it ran before), and the failed copy is kept for study.

#include <chrono>
#include <string>

#include "common/error.h"
#include "proc/user.h"
#include "replica/service.h"

namespace pgreplica::replica {

struct SwapInputs {
  std::string data_directory;
  std::string staging;
  std::string old_directory;  // target name for the current data directory
  bool replace_existing = false;
  proc::OsUser os_user;
  // How long a server may take to exit after the service's stop returned (rc scripts and
  // systemd can return a moment early) before the swap gives up with nothing moved.
  std::chrono::milliseconds stop_grace{10000};
};

struct SwapOutcome {
  bool was_running = false;
  std::string old_directory;    // empty when there was nothing to move aside
  double downtime_seconds = 0;  // from stopping the old server to the new one accepting connections
};

// Requires: staging holds a verified copy. On error, the data directory
// holds the old data again when there was any (the message says where
// everything is) and the old server runs again if it ran.
Result<SwapOutcome> SwapIn(const SwapInputs& in, Service& service);

}  // namespace pgreplica::replica
