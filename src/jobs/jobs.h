#pragma once
// Job records: every mutating run (clone, decommission; not their dry runs)
// writes a durable JSON record in <state_directory>/jobs/<id>.json when it
// starts and updates it as it goes (clone after each step, decommission when
// it ends), with a log in <id>.log. Unlike Salt's job cache they do not
// expire.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace pgreplica::replica {

struct JobStep {
  std::string name;
  std::string status;  // running, ok, failed, skipped
  std::string started_at;
  double seconds = 0;
  std::string message;
};

struct JobRecord {
  std::string id;
  std::string command;
  std::vector<std::string> arguments;  // argv after the command; never holds a secret
  std::string state;                   // running, succeeded, failed, interrupted
  std::string started_at, finished_at;
  // Creation time in nanoseconds since the epoch: orders jobs started in the
  // same second (0 in records written before it existed).
  std::int64_t started_ns = 0;
  int exit_code = -1;
  int pid = 0;
  std::string log_file;
  std::vector<JobStep> steps;
  nlohmann::json error;   // {kind, message, detail, hint} when failed
  nlohmann::json result;  // the command's result document
};

nlohmann::json ToJson(const JobRecord& job);
Result<JobRecord> JobFromJson(const nlohmann::json& j);

// Current UTC time as 2026-11-25T17:23:00Z.
std::string UtcNow();
// Compact UTC timestamp for names: 20261125T172300Z.
std::string UtcStamp();

class JobStore {
 public:
  explicit JobStore(std::string state_directory);
  // A new record (state "running", this pid) with a fresh id, saved; a record
  // of another job is never overwritten. With an explicit `id` that exists
  // already, the record is taken over only when it is the running record of
  // the same command made by this process or its parent (clone --detach
  // starts itself again with --job-id); otherwise a kUsage error.
  Result<JobRecord> Create(const std::string& command, const std::vector<std::string>& arguments,
                           const std::string& id = "");
  // Writes the record atomically. Text that is not valid UTF-8 (a server
  // message in LATIN1, a path) is stored with replacement characters.
  Status Save(const JobRecord& job) const;
  // Appends "<UTC time> <line>" to the job's log <id>.log, through the private job directory's
  // fd (never through a link).
  Status AppendLog(const JobRecord& job, const std::string& line) const;
  // kNotFound for an unknown id.
  Result<JobRecord> Load(const std::string& id) const;
  // All records, newest first (to the nanosecond). A "running" record whose
  // process is gone is reported as "abandoned".
  Result<std::vector<JobRecord>> List() const;
  std::string dir() const { return dir_; }
  // A fresh id: <UTC stamp>-<command>-<4 hex>.
  static std::string NewId(const std::string& command);

 private:
  std::string dir_;
};

// Follows a growing log file: each call returns what was appended since the
// last one, at most `max_bytes` of it, reading only the new part (the file
// stays open; its size is not limited). A file that does not exist yet reads
// as empty; a file that was truncated is read again from its start.
class LogFollower {
 public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;
  Result<std::string> ReadNew(size_t max_bytes = 1 << 20);
  std::uint64_t offset() const { return offset_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
};

// Records how `job` ended and saves it, the same way for every command (clone,
// decommission): its state ("succeeded"; "interrupted" for an error of kind kInterrupted; else
// "failed"), the time, the exit code, `result` (the command's result document) and `error` as
// ErrorJson writes it. A record that cannot be saved stays as it was: what the command reports
// is the run's own outcome.
void FinishJob(const JobStore& store, JobRecord& job, const std::optional<Error>& error,
               nlohmann::json result);

}  // namespace pgreplica::replica
