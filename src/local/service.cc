#include "local/service.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/fs.h"
#include "common/text.h"
#include "conf/validate.h"
#include "local/datadir.h"
#include "proc/child.h"

namespace pgreplica::replica {

namespace {

// Runs argv (as the OS user when given) and returns its outcome.
Result<proc::RunResult> RunArgv(const std::vector<std::string>& argv,
                                const std::optional<proc::OsUser>& user, int timeout_seconds) {
  return proc::Run({.argv = argv, .run_as = user, .cwd = "/"},
                   {.timeout = std::chrono::seconds(timeout_seconds + 30)});
}

Status Expect(const Result<proc::RunResult>& r, const std::string& what) {
  if (!r) return std::unexpected(r.error());
  if (r->status.ok()) return {};
  return Fail(ErrorKind::kChildFailed, fmt::format("could not {}", what),
              fmt::format("The command {}. Its output: {}", r->status.Describe(), r->output),
              "Look at the server log for the reason.");
}

class PgCtlService : public Service {
 public:
  PgCtlService(ServiceContext c, std::string log_file)
      : c_(std::move(c)), log_(std::move(log_file)) {}
  Result<bool> IsRunning() override {
    auto r = RunArgv({pg_ctl(), "status", "-D", c_.data_directory}, c_.os_user, 30);
    if (!r) return std::unexpected(r.error());
    // pg_ctl status: 0 running, 3 not running, 4 no accessible data directory.
    if (r->status.code == 0) return true;
    if (r->status.code == 3 || r->status.code == 4) return false;
    return Fail(ErrorKind::kChildFailed, "could not learn whether the local server runs",
                fmt::format("pg_ctl status {}: {}", r->status.Describe(), r->output));
  }
  Status Start() override {
    // -p: this host's port wins over the port in the copied postgresql.conf.
    return Expect(
        RunArgv({pg_ctl(), "start", "-D", c_.data_directory, "-l", log_, "-w", "-t",
                 std::to_string(c_.timeout_seconds), "-o", fmt::format("-p {}", c_.port)},
                c_.os_user, c_.timeout_seconds),
        fmt::format("start the server in \"{}\" with pg_ctl (log: {})", c_.data_directory, log_));
  }
  Status Stop() override {
    return Expect(RunArgv({pg_ctl(), "stop", "-D", c_.data_directory, "-m", "fast", "-w", "-t",
                           std::to_string(c_.timeout_seconds)},
                          c_.os_user, c_.timeout_seconds),
                  fmt::format("stop the server in \"{}\" with pg_ctl", c_.data_directory));
  }
  std::string Describe() const override { return "pg_ctl"; }

 private:
  std::string pg_ctl() const { return c_.bindir + "/pg_ctl"; }
  ServiceContext c_;
  std::string log_;
};

// systemd, rc scripts and custom commands share one shape: three argv vectors.
class CommandService : public Service {
 public:
  CommandService(std::string description, std::vector<std::string> start,
                 std::vector<std::string> stop, std::vector<std::string> status, int timeout)
      : description_(std::move(description)),
        start_(std::move(start)),
        stop_(std::move(stop)),
        status_(std::move(status)),
        timeout_(timeout) {}
  Result<bool> IsRunning() override {
    auto r = RunArgv(status_, std::nullopt, 30);
    if (!r) return std::unexpected(r.error());
    return r->status.ok();
  }
  Status Start() override {
    return Expect(RunArgv(start_, std::nullopt, timeout_), "start " + description_);
  }
  Status Stop() override {
    return Expect(RunArgv(stop_, std::nullopt, timeout_), "stop " + description_);
  }
  std::string Describe() const override { return description_; }

 private:
  std::string description_;
  std::vector<std::string> start_, stop_, status_;
  int timeout_;
};

}  // namespace

Result<int> StopServer(Service& service, bool service_says_running, const std::string& data_real,
                       std::chrono::milliseconds grace) {
  if (service_says_running) {
    if (auto ok = service.Stop(); !ok) return std::unexpected(ok.error());
  }
  return WaitForNoPostmaster(data_real, grace);
}

std::string ServiceLogFile(const conf::ServiceConfig& config, const std::string& data_directory) {
  return config.log_file.empty() ? data_directory + ".log" : config.log_file;
}

Result<std::unique_ptr<Service>> MakeService(const conf::ServiceConfig& s,
                                             const ServiceContext& c) {
  if (s.type == "pg_ctl") {
    // pg_ctl runs the server through /bin/sh -c with these paths in double quotes.
    std::string log = ServiceLogFile(s, c.data_directory);
    for (const auto& [what, path] :
         {std::pair<const char*, std::string>{"data directory", c.data_directory},
          {"log file", log},
          {"directory of the PostgreSQL programs", c.bindir}}) {
      if (auto p = conf::CheckShellQuotablePath(path)) {
        return Fail(
            ErrorKind::kConfigInvalid,
            fmt::format("cannot start and stop the server with pg_ctl: unsafe {} path", what),
            *p + " pg_ctl passes it to /bin/sh, which would run part of it as a command.",
            "Use a path without these characters, or set local.service.type to systemd, "
            "service or custom.");
      }
    }
    return std::make_unique<PgCtlService>(c, log);
  }
  if (s.type == "systemd" || s.type == "service") {
    if (s.unit.empty()) {
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("service type \"{}\" needs a unit name", s.type), "",
                  "Set local.service.unit (e.g. postgresql@15-main for systemd, postgresql for an "
                  "rc script).");
    }
    if (auto p = conf::CheckOptionalUnitName(s.unit)) {
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("invalid unit name \"{}\"", Printable(s.unit)), *p,
                  "Set local.service.unit to the name of the unit or rc script.");
    }
    if (s.type == "systemd") {
      return std::make_unique<CommandService>(
          fmt::format("systemd unit \"{}\"", s.unit),
          std::vector<std::string>{"systemctl", "start", s.unit},
          std::vector<std::string>{"systemctl", "stop", s.unit},
          std::vector<std::string>{"systemctl", "is-active", "--quiet", s.unit}, c.timeout_seconds);
    }
    return std::make_unique<CommandService>(fmt::format("rc script \"{}\"", s.unit),
                                            std::vector<std::string>{"service", s.unit, "start"},
                                            std::vector<std::string>{"service", s.unit, "stop"},
                                            std::vector<std::string>{"service", s.unit, "status"},
                                            c.timeout_seconds);
  }
  if (s.start.empty() || s.stop.empty() || s.status.empty()) {
    return Fail(
        ErrorKind::kConfigInvalid, "service type \"custom\" needs start, stop and status commands",
        "", "Set local.service.start, local.service.stop and local.service.status to argv lists.");
  }
  if (auto ok = CheckCommandsTrusted(s); !ok) return std::unexpected(ok.error());
  return std::make_unique<CommandService>("custom service commands", s.start, s.stop, s.status,
                                          c.timeout_seconds);
}

Status CheckCommandsTrusted(const conf::ServiceConfig& s) {
  // Commands that root runs come only from a file that only root can change.
  if (s.type != "custom" || geteuid() != 0 || s.commands_writable_by.empty()) return {};
  return Fail(ErrorKind::kInsecureFile,
              fmt::format("refusing to run the custom service commands of \"{}\" as root",
                          s.commands_source),
              fmt::format("Whoever can change that file could run any command as root. {}",
                          s.commands_writable_by),
              !s.commands_fix.empty() ? s.commands_fix
                                      : std::string("Make the file and every directory above it "
                                                    "belong to root and writable only by root, or "
                                                    "move it to /etc/pgreplica."));
}

std::optional<DebianCluster> FindDebianCluster(const std::string& data_directory,
                                               const std::string& etc_root) {
  // /etc/postgresql and its version directories belong to postgres on Debian: walked through
  // directory fds, no link followed, only regular files read (a FIFO would block forever).
  const std::string want = NormalPath(data_directory);
  auto root = Dir::Open(etc_root);
  if (!root) return std::nullopt;
  auto versions = root->List();
  if (!versions) return std::nullopt;
  std::sort(versions->begin(), versions->end());
  for (const auto& version : *versions) {
    auto vdir = root->OpenDir(version);
    if (!vdir) continue;
    auto clusters = vdir->List();
    if (!clusters) continue;
    std::sort(clusters->begin(), clusters->end());
    for (const auto& cluster : *clusters) {
      auto cdir = vdir->OpenDir(cluster);
      if (!cdir) continue;
      auto text = cdir->ReadFile("postgresql.conf", 1 << 20);
      if (!text) continue;
      std::string dir = ReadConfSetting(*text, "data_directory");
      if (!dir.empty() && NormalPath(dir) == want)
        return DebianCluster{version, cluster, cdir->PathOf("postgresql.conf")};
    }
  }
  return std::nullopt;
}

Status CheckServiceFits(const conf::ServiceConfig& config, const std::string& data_directory,
                        const std::string& etc_root) {
  if (config.type != "pg_ctl") return {};
  auto debian = FindDebianCluster(data_directory, etc_root);
  if (!debian) return {};
  return Fail(
      ErrorKind::kConfigInvalid,
      fmt::format("the data directory belongs to the Debian cluster {}/{}, which service type "
                  "pg_ctl cannot start",
                  debian->version, debian->name),
      fmt::format("Its configuration is in {}; pg_ctl would look for postgresql.conf in the data "
                  "directory instead.",
                  debian->config_file),
      fmt::format("Set local.service.type to systemd with local.service.unit "
                  "postgresql@{0}-{1}, or, on a host without systemd, to custom with "
                  "pg_ctlcluster {0} {1} start|stop|status (see \"Service control\" in "
                  "docs/clone.md).",
                  debian->version, debian->name));
}

}  // namespace pgreplica::replica
