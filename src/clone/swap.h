#pragma once
// Clone step 6: the few seconds in which the standby is down. Stop the old
// server and make sure none runs in the data directory any more (StopServer;
// otherwise nothing is moved), write the swap journal (local/journal.h), move
// its data directory and its tablespace directories aside together (<name>.old-<stamp>,
// local/layout.h), move the verified copy and its staged tablespaces into place, start. If the new
// copy does not start, it is moved to <name>.failed-<stamp> for study and the old directories are
// put back (and started if they ran before). Every change goes through the directory fds of the
// layout; the parents are fsynced after the renames.

#include <sys/types.h>

#include <chrono>
#include <string>

#include "common/error.h"
#include "local/journal.h"
#include "local/layout.h"
#include "local/service.h"
#include "proc/user.h"

namespace pgreplica::replica {

struct SwapInputs {
  const LocalLayout& layout;  // the staged copies are the kStagingSuffix siblings
  FileId staged_data;         // the data staging directory as created by the clone
  proc::OsUser os_user;
  // How long a server may take to exit after the service's stop returned (rc scripts and
  // systemd can return a moment early) before the swap gives up with nothing moved.
  std::chrono::milliseconds stop_grace{10000};
  // Where the swap records what it is about to rename, for the next run if this one is killed
  // (local/journal.h); null in unit tests.
  const JournalFile* journal = nullptr;
};

struct SwapOutcome {
  bool was_running = false;
  std::string old_directory;    // where the data directory went; empty when there was none
  MovedAside moved;             // everything moved aside, for the cleanup after success
  double downtime_seconds = 0;  // from stopping the old server to the new one accepting connections
  double start_seconds = 0;     // of that, starting the new server until it accepts connections
};

// Requires: the staged copies are verified and their pg_tblspc links point at the final
// tablespace locations. On error, the data directory and the tablespace locations hold the
// old data again when it could be moved back; when it could not, the error's hint says which
// directory to rename by hand. When the old data is back, the old server is started again if
// it ran (a start that fails is not reported here: the server's log says why).
Result<SwapOutcome> SwapIn(const SwapInputs& in, Service& service);

}  // namespace pgreplica::replica
