#pragma once
// Job records: every mutating run (clone, decommission) writes a durable
// JSON record in <state_directory>/jobs/<id>.json, updated after each step,
// and a log in <id>.log. Unlike Salt's job cache they do not expire.

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
  // A new record (state "running", this pid) with a fresh id, saved.
  Result<JobRecord> Create(const std::string& command, const std::vector<std::string>& arguments,
                           const std::string& id = "");
  Status Save(const JobRecord& job) const;
  // kNotFound for an unknown id.
  Result<JobRecord> Load(const std::string& id) const;
  // All records, newest first. A "running" record whose process is gone is
  // reported as "abandoned".
  Result<std::vector<JobRecord>> List() const;
  std::string dir() const { return dir_; }
  // A fresh id: <UTC stamp>-<command>-<4 hex>.
  static std::string NewId(const std::string& command);

 private:
  std::string dir_;
};

}  // namespace pgreplica::replica
