#include "jobs/jobs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "common/fs.h"
#include "local/state.h"

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
          {"started_ns", j.started_ns},
          {"finished_at", j.finished_at},
          {"exit_code", j.exit_code},
          {"pid", j.pid},
          {"log_file", j.log_file},
          {"steps", steps},
          {"error", j.error},
          {"result", j.result}};
}

namespace {
// An integer member that fits T; a damaged record is an error, not a narrowing cast.
template <typename T>
T IntegerAt(const nlohmann::json& j, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw nlohmann::json::type_error::create(302, "not an integer", &v);
  bool fits = v.is_number_unsigned() ? v.get<std::uint64_t>() <=
                                           static_cast<std::uint64_t>(std::numeric_limits<T>::max())
                                     : v.get<std::int64_t>() >= std::numeric_limits<T>::min() &&
                                           v.get<std::int64_t>() <= std::numeric_limits<T>::max();
  if (!fits) throw nlohmann::json::out_of_range::create(406, "integer out of range", &v);
  return v.is_number_unsigned() ? static_cast<T>(v.get<std::uint64_t>())
                                : static_cast<T>(v.get<std::int64_t>());
}
}  // namespace

Result<JobRecord> JobFromJson(const nlohmann::json& j) {
  try {
    JobRecord r;
    r.id = j.at("id").get<std::string>();
    r.command = j.at("command").get<std::string>();
    r.arguments = j.at("arguments").get<std::vector<std::string>>();
    r.state = j.at("state").get<std::string>();
    r.started_at = j.at("started_at").get<std::string>();
    r.finished_at = j.at("finished_at").get<std::string>();
    r.exit_code = IntegerAt<int>(j, "exit_code");
    r.pid = IntegerAt<int>(j, "pid");
    r.log_file = j.at("log_file").get<std::string>();
    for (const auto& s : j.at("steps"))
      r.steps.push_back({s.at("name").get<std::string>(), s.at("status").get<std::string>(),
                         s.at("started_at").get<std::string>(), s.at("seconds").get<double>(),
                         s.at("message").get<std::string>()});
    if (j.contains("started_ns")) r.started_ns = IntegerAt<std::int64_t>(j, "started_ns");
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

namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The record as stored: invalid UTF-8 replaced (U+FFFD) instead of thrown on.
std::string Serialize(const JobRecord& job) {
  return ToJson(job).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Writes `contents` to `path` only if `path` does not exist: a complete temporary file,
// then link(2), which fails with EEXIST instead of replacing. Returns false when it existed.
Result<bool> WriteNew(const std::string& path, const std::string& contents, mode_t mode) {
  std::string tmpl = path + ".new.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not create \"{}\"", tmpl)));
  std::string tmp(name.data());
  bool ok = fchmod(fd, mode) == 0;
  for (size_t done = 0; ok && done < contents.size();) {
    ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  int err = errno;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return std::unexpected(ErrnoError(err, fmt::format("could not write \"{}\"", tmp)));
  }
  int rc = link(tmp.c_str(), path.c_str());
  err = errno;
  unlink(tmp.c_str());
  if (rc != 0 && err == EEXIST) return false;
  if (rc != 0)
    return std::unexpected(ErrnoError(err, fmt::format("could not create \"{}\"", path)));
  if (int dir = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    (void)fsync(dir);
    close(dir);
  }
  return true;
}

}  // namespace

Result<JobRecord> JobStore::Create(const std::string& command,
                                   const std::vector<std::string>& arguments,
                                   const std::string& id) {
  // The state directory must be private (local/state.h): records and logs are written there
  // as root.
  if (auto ok = OpenStateDir(DirName(dir_), BaseName(dir_), /*create=*/true, 0750); !ok)
    return std::unexpected(ok.error().Context("could not create the job directory"));
  if (!id.empty() && !ValidId(id))
    return Fail(ErrorKind::kUsage, fmt::format("invalid job id \"{}\"", id));
  JobRecord j;
  j.command = command;
  j.arguments = arguments;
  j.state = "running";
  j.started_at = UtcNow();
  j.started_ns = NowNs();
  j.pid = getpid();
  // A generated id that is taken (same second, same random part) is drawn again.
  for (int attempt = 0; attempt < 20; ++attempt) {
    j.id = id.empty() ? NewId(command) : id;
    j.log_file = dir_ + "/" + j.id + ".log";
    if (!ValidId(j.id)) return Fail(ErrorKind::kUsage, fmt::format("invalid job id \"{}\"", j.id));
    auto created = WriteNew(dir_ + "/" + j.id + ".json", Serialize(j), 0640);
    if (!created) return std::unexpected(created.error());
    if (*created) return j;
    if (id.empty()) continue;
    auto existing = Load(id);
    bool ours = existing && existing->command == command && existing->finished_at.empty() &&
                (existing->pid == getpid() || existing->pid == getppid());
    if (!ours) {
      return Fail(ErrorKind::kUsage, fmt::format("job \"{}\" already exists", id),
                  "Its record is kept; a job id names one run only.",
                  "Leave --job-id out to get a new id.");
    }
    // The detached run takes over the record its parent made.
    j.started_at = existing->started_at;
    j.started_ns = existing->started_ns;
    if (auto ok = Save(j); !ok) return std::unexpected(ok.error());
    return j;
  }
  return Fail(ErrorKind::kSystem, "could not find a free job id",
              fmt::format("Twenty ids drawn for \"{}\" in \"{}\" were all taken.", command, dir_));
}

Status JobStore::Save(const JobRecord& job) const {
  return WriteFileAtomic(dir_ + "/" + job.id + ".json", Serialize(job), 0640);
}

Status JobStore::AppendLog(const JobRecord& job, const std::string& line) const {
  if (!ValidId(job.id))
    return Fail(ErrorKind::kUsage, fmt::format("invalid job id \"{}\"", job.id));
  auto dir = OpenStateDir(DirName(dir_), BaseName(dir_), /*create=*/false, 0750);
  if (!dir) return std::unexpected(dir.error());
  auto fd = dir->OpenFile(job.id + ".log", O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (!fd) return std::unexpected(fd.error());
  std::string text = UtcNow() + " " + line + "\n";
  if (write(fd->get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return std::unexpected(ErrnoError(errno, fmt::format("could not write \"{}\"", job.log_file)));
  return {};
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
  // Newest first: by creation time to the nanosecond where both records have it, else
  // by the second of started_at, then by id.
  std::sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
    if (a.started_ns != 0 && b.started_ns != 0 && a.started_ns != b.started_ns)
      return a.started_ns > b.started_ns;
    if (a.started_at != b.started_at) return a.started_at > b.started_at;
    return a.id > b.id;
  });
  return out;
}

LogFollower::~LogFollower() {
  if (fd_ >= 0) close(fd_);
}

Result<std::string> LogFollower::ReadNew(size_t max_bytes) {
  if (fd_ < 0) {
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) {
      if (errno == ENOENT) return std::string();  // not written yet
      return std::unexpected(ErrnoError(errno, fmt::format("could not open \"{}\"", path_)));
    }
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", path_)));
  if (static_cast<std::uint64_t>(st.st_size) < offset_) offset_ = 0;  // truncated
  std::string out;
  std::vector<char> buf(std::min<size_t>(max_bytes, 1 << 16));
  while (out.size() < max_bytes) {
    size_t want = std::min(buf.size(), max_bytes - out.size());
    ssize_t n = pread(fd_, buf.data(), want, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return std::unexpected(ErrnoError(errno, fmt::format("could not read \"{}\"", path_)));
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
    offset_ += static_cast<std::uint64_t>(n);
  }
  return out;
}

void FinishJob(const JobStore& store, JobRecord& job, const std::optional<Error>& error,
               nlohmann::json result) {
  job.state = !error                                   ? "succeeded"
              : error->kind == ErrorKind::kInterrupted ? "interrupted"
                                                       : "failed";
  job.finished_at = UtcNow();
  job.exit_code = error ? ExitCode(error->kind) : kExitOk;
  job.result = std::move(result);
  if (error) job.error = ErrorJson(*error);
  (void)store.Save(job);
}

}  // namespace pgreplica::replica
