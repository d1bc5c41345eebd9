#include "replica/jobs.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

namespace {
std::string FormatUtc(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

bool ValidId(const std::string& id) {
  return !id.empty() && id.size() < 100 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}
}  // namespace

std::string UtcNow() { return FormatUtc("%Y-%m-%dT%H:%M:%SZ"); }
std::string UtcStamp() { return FormatUtc("%Y%m%dT%H%M%SZ"); }

nlohmann::json ToJson(const JobRecord& j) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : j.steps)
    steps.push_back({{"name", s.name},
                     {"status", s.status},
                     {"started_at", s.started_at},
                     {"seconds", s.seconds},
                     {"message", s.message}});
  return {{"id", j.id},
          {"command", j.command},
          {"arguments", j.arguments},
          {"state", j.state},
          {"started_at", j.started_at},
          {"finished_at", j.finished_at},
          {"exit_code", j.exit_code},
          {"pid", j.pid},
          {"log_file", j.log_file},
          {"steps", steps},
          {"error", j.error},
          {"result", j.result}};
}

Result<JobRecord> JobFromJson(const nlohmann::json& j) {
  try {
    JobRecord r;
    r.id = j.at("id").get<std::string>();
    r.command = j.at("command").get<std::string>();
    r.arguments = j.at("arguments").get<std::vector<std::string>>();
    r.state = j.at("state").get<std::string>();
    r.started_at = j.at("started_at").get<std::string>();
    r.finished_at = j.at("finished_at").get<std::string>();
    r.exit_code = j.at("exit_code").get<int>();
    r.pid = j.at("pid").get<int>();
    r.log_file = j.at("log_file").get<std::string>();
    for (const auto& s : j.at("steps"))
      r.steps.push_back({s.at("name").get<std::string>(), s.at("status").get<std::string>(),
                         s.at("started_at").get<std::string>(), s.at("seconds").get<double>(),
                         s.at("message").get<std::string>()});
    r.error = j.value("error", nlohmann::json());
    r.result = j.value("result", nlohmann::json());
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kFileAccess, "job record is damaged", e.what());
  }
}

JobStore::JobStore(std::string state_directory) : dir_(std::move(state_directory) + "/jobs") {}

std::string JobStore::NewId(const std::string& command) {
  std::random_device rd;
  return fmt::format("{}-{}-{:04x}", UtcStamp(), command, rd() & 0xffff);
}

Result<JobRecord> JobStore::Create(const std::string& command,
                                   const std::vector<std::string>& arguments,
                                   const std::string& id) {
  if (auto ok = MakeDirs(dir_, 0750); !ok)
    return std::unexpected(ok.error().Context("could not create the job directory"));
  JobRecord j;
  j.id = id.empty() ? NewId(command) : id;
  if (!ValidId(j.id)) return Fail(ErrorKind::kUsage, fmt::format("invalid job id \"{}\"", j.id));
  j.command = command;
  j.arguments = arguments;
  j.state = "running";
  j.started_at = UtcNow();
  j.pid = getpid();
  j.log_file = dir_ + "/" + j.id + ".log";
  if (auto ok = Save(j); !ok) return std::unexpected(ok.error());
  return j;
}

Status JobStore::Save(const JobRecord& job) const {
  return WriteFileAtomic(dir_ + "/" + job.id + ".json", ToJson(job).dump(2) + "\n", 0640);
}

Result<JobRecord> JobStore::Load(const std::string& id) const {
  if (!ValidId(id)) return Fail(ErrorKind::kUsage, fmt::format("invalid job id \"{}\"", id));
  auto text = ReadFile(dir_ + "/" + id + ".json");
  if (!text) {
    return Fail(ErrorKind::kNotFound, fmt::format("job \"{}\" does not exist", id),
                fmt::format("There is no record of it in \"{}\".", dir_),
                "Run \"pgreplica jobs list\".");
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded())
    return Fail(ErrorKind::kFileAccess, fmt::format("job record \"{}\" is damaged", id));
  auto job = JobFromJson(j);
  if (job && job->state == "running" && job->pid > 0 && kill(job->pid, 0) != 0 && errno == ESRCH)
    job->state = "abandoned";
  return job;
}

Result<std::vector<JobRecord>> JobStore::List() const {
  std::vector<JobRecord> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto job = Load(entry.path().stem().string());
    if (job) out.push_back(std::move(*job));
  }
  std::sort(out.begin(), out.end(),
            [](const JobRecord& a, const JobRecord& b) { return a.id > b.id; });
  return out;
}

}  // namespace pgreplica::replica
