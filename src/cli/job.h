#pragma once
// The end of a recorded job (clone, decommission), written the same way for every command.

#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "jobs/jobs.h"

namespace pgreplica::cli {

// Records how `job` ended and saves it: its state ("succeeded"; "interrupted" for an error of
// kind kInterrupted; else "failed"), the time, the exit code, `result` (the command's result
// document) and `error` as ErrorJson writes it. A record that cannot be saved stays as it
// was: what the command reports is the run's own outcome.
void FinishJob(const replica::JobStore& store, replica::JobRecord& job,
               const std::optional<Error>& error, nlohmann::json result);

}  // namespace pgreplica::cli
