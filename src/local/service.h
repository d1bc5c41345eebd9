#pragma once
// Starting, stopping and asking about the local PostgreSQL server, the way
// this host does it: pg_ctl, systemd, an rc script (`service`, as on
// FreeBSD) or custom argv vectors from the configuration (MakeService); and
// the one way to make sure the server is down before its data directory is
// touched (StopServer). Commands run as argv vectors, pg_ctl as the OS user;
// root runs custom commands only from a file that only root can change
// (CheckCommandsTrusted).

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/error.h"
#include "conf/config.h"
#include "proc/user.h"

namespace pgreplica::replica {

class Service {
 public:
  virtual ~Service() = default;
  // Whether the server runs. Errors only when the answer cannot be had.
  virtual Result<bool> IsRunning() = 0;
  // Starts and waits until it accepts connections (or fails).
  virtual Status Start() = 0;
  // Stops (fast shutdown) and waits until it is down.
  virtual Status Stop() = 0;
  // "pg_ctl", "systemd unit postgresql@15-main", ...
  virtual std::string Describe() const = 0;
};

// Makes sure no server runs in the real directory `data_real` before anything there is moved:
// has the service stop the server when `service_says_running` (what its IsRunning() answered),
// then waits up to `grace` until no postmaster runs there, whatever the service said (rc
// scripts and systemd can return a moment early, or control another server). Returns the pid
// of a server that still runs there, 0 when none; an error only when the service's stop fails.
Result<int> StopServer(Service& service, bool service_says_running, const std::string& data_real,
                       std::chrono::milliseconds grace);

struct ServiceContext {
  std::string bindir;
  std::string data_directory;
  proc::OsUser os_user;
  int port = 5432;
  int timeout_seconds = 120;
};

// The service the configuration describes. kConfigInvalid when it is
// incomplete (systemd without a unit, custom without argv).
Result<std::unique_ptr<Service>> MakeService(const conf::ServiceConfig& config,
                                             const ServiceContext& context);

// Whether root may run the custom commands of `config`: kInsecureFile when pgreplica runs as
// root and the file they come from could be changed by someone else (its hint names the
// file or directory that must change). MakeService and doctor both ask it.
Status CheckCommandsTrusted(const conf::ServiceConfig& config);

// The pg_ctl log file: local.service.log_file, else <data_directory>.log.
std::string ServiceLogFile(const conf::ServiceConfig& config, const std::string& data_directory);

// A cluster made by Debian's pg_createcluster (also Ubuntu): its configuration lives in
// <etc_root>/<version>/<name>/, outside the data directory, and pg_ctlcluster or the
// postgresql@<version>-<name> unit starts it.
struct DebianCluster {
  std::string version;
  std::string name;
  std::string config_file;  // <etc_root>/<version>/<name>/postgresql.conf
};

// The Debian cluster whose postgresql.conf sets data_directory to `data_directory`, looked
// for in <etc_root>/*/*/postgresql.conf; nullopt when there is none.
std::optional<DebianCluster> FindDebianCluster(const std::string& data_directory,
                                               const std::string& etc_root = "/etc/postgresql");

// Whether `config` can start the server in `data_directory`. Service type pg_ctl cannot start a
// Debian cluster: pg_ctl looks for postgresql.conf in the data directory, and the copy holds at
// best the primary's. A kConfigInvalid error naming the settings to use instead, then.
Status CheckServiceFits(const conf::ServiceConfig& config, const std::string& data_directory,
                        const std::string& etc_root = "/etc/postgresql");

}  // namespace pgreplica::replica
