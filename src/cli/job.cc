#include "cli/job.h"

#include "cli/common.h"

namespace pgreplica::cli {

void FinishJob(const replica::JobStore& store, replica::JobRecord& job,
               const std::optional<Error>& error, nlohmann::json result) {
  job.state = !error                                   ? "succeeded"
              : error->kind == ErrorKind::kInterrupted ? "interrupted"
                                                       : "failed";
  job.finished_at = replica::UtcNow();
  job.exit_code = error ? ExitCode(error->kind) : kExitOk;
  job.result = std::move(result);
  if (error) job.error = ErrorJson(*error);
  (void)store.Save(job);
}

}  // namespace pgreplica::cli
