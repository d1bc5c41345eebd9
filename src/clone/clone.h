#pragma once
// `pgreplica clone`: turn this host into a streaming hot standby of the primary (docs/clone.md,
// "The sequence"): lock, preflight, slot, copy into staging, verify, swap, confirm, clean up,
// every step recorded in the job. The promises:
// - nothing in the data directory changes before the swap, which begins only once the copy
//   is verified (unless clone.verify is off);
// - a failure or an interruption before the swap removes staging and the slots this run
//   created, and leaves the old standby as it was (running, if it ran); an interruption once
//   the swap has begun is honoured after it;
// - a failure at the swap puts the old data directory back (and starts it if it ran);
// - a failure after the swap (confirm) leaves the new standby in place and says where the old
//   data directory is kept.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "clone/basebackup.h"
#include "clone/confirm.h"
#include "clone/preflight.h"
#include "common/error.h"
#include "conf/config.h"
#include "jobs/jobs.h"

namespace pgreplica::replica {

struct CloneOptions {
  bool dry_run = false;
  bool force = false;  // replace a running primary's data directory
  // Do nothing when the local server already is a standby streaming from the
  // configured primary through its slot (idempotent runs from Salt, cron).
  bool if_needed = false;
};

struct CloneEvents {
  std::function<void(const JobStep&)> on_step;  // a step starts (status "running") or ends
  std::function<void(const CopyProgress&)> on_progress;
  std::function<void(const std::string&)> on_output;  // lines of the programs run
  std::function<bool()> cancel;                       // true: stop as soon as it is safe
};

// What a clone did, also when it failed. A failed clone's result travels with its error
// because the CLI shows both: it prints the preflight report of a failed preflight, and the
// --output json document and the job record (JobRecord::result) keep the steps, the preflight,
// the slots that could not be dropped and the confirmation of the failed run. So `error` is the
// one place a clone's failure is carried (set by RunClone and CheckIfNeeded from the Status of
// the run; nothing else in the clone fails by it); success is !error.
struct CloneResult {
  std::string slot;
  std::optional<PreflightResult> preflight;
  bool dry_run = false;
  bool completed = false;
  bool already_streaming = false;  // with if_needed: nothing to do
  std::vector<JobStep> steps;
  std::optional<Error> error;               // why the clone failed (see above); empty on success
  std::string old_directory;                // where the previous data directory is kept, if any
  std::vector<std::string> removed_old;     // older copies removed after success
  std::vector<std::string> leftover_slots;  // slots this run created but could not drop
  ConfirmFacts confirm;
  // The swap's timing: from stopping the old server to the new one accepting connections, and
  // of that the new server's start.
  double downtime_seconds = 0;
  double start_seconds = 0;
  nlohmann::json ToJson() const;
};

// Runs the clone. `job` (may be null) is updated after every step and its
// log receives the steps and the programs' output. Never fails as a whole: the result's error
// says why the clone failed, with what it had done before.
CloneResult RunClone(const conf::Config& config, const CloneOptions& options,
                     const CloneEvents& events, JobRecord* job, const JobStore* store);

// --if-needed's question, asked before anything is locked or recorded: does this host's standby
// already stream from the configured primary through its slot? Returns a result with
// already_streaming set (nothing to do), with an error (a standby runs here and the primary
// cannot be asked, or the configuration is unusable), or with neither (a clone is needed).
// Touches nothing; the caller records no job for the first two.
CloneResult CheckIfNeeded(const conf::Config& config, bool dry_run);

// The settings a clone cannot start without (data directory, primary host).
Status ValidateCloneConfig(const conf::Config& config);

// Whether the verify step has pg_verifybackup parse the copy's WAL: only when it is of the
// primary's major version (a newer pg_verifybackup cannot read an older server's WAL, so it runs
// with --no-parse-wal and the step says so). The one place that decides it.
struct WalCheck {
  bool parse = true;
  std::string explanation;  // why the WAL is not parsed
};
WalCheck ChooseWalCheck(int verifier_major, int primary_major);

// The slot this host's standby uses: replication.slot, else DefaultSlotName(short hostname).
std::string ResolveSlotName(const conf::Config& config);

}  // namespace pgreplica::replica
