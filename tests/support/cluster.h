#pragma once
// Real PostgreSQL clusters for integration tests: initdb as an unprivileged
// OS user (PostgreSQL refuses root), free ports on 127.0.0.1, sockets in a
// private directory, SCRAM authentication, a superuser and a replication
// role with passwords. Servers started by the fixture are children of the
// test process that die with it (PR_SET_PDEATHSIG); servers started by
// pgreplica (pg_ctl) are adopted and stopped by their owner. A sweep at the
// start of each test binary stops servers that a killed earlier run left.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "pg/connection.h"
#include "proc/child.h"
#include "proc/user.h"
#include "support/port.h"

namespace pgreplica::testing {

// What every cluster of this test process shares.
struct TestEnv {
  proc::OsUser os_user;  // "postgres" when run as root (PGREPLICA_TEST_OS_USER overrides)
  std::string bindir;    // PostgreSQL programs
  int major = 0;
  // Looked up once; aborts the test binary with a clear message when impossible.
  static const TestEnv& Get();
};

// The server programs (initdb, pg_ctl, postgres) of another PostgreSQL major version: Debian's
// /usr/lib/postgresql/<major>/bin when installed, else <cache>/<major>/bin as
// scripts/fetch-postgres leaves it ($PGREPLICA_PG_CACHE, by default
// /var/cache/pgreplica-test/postgres). nullopt when neither holds them.
std::optional<std::string> ServerBindir(int major);
// Where scripts/fetch-postgres puts `major` (whether or not it is there).
std::string FetchedBindir(int major);

// A private directory owned by the test OS user, removed at the end.
class Workspace {
 public:
  Workspace();
  ~Workspace();
  const std::string& path() const { return path_; }
  // A new subdirectory owned by the OS user.
  std::string MakeDir(const std::string& name) const;
  // Writes a file owned by the OS user with mode 0600.
  std::string WriteFile(const std::string& name, const std::string& text) const;
  // A directory beside the workspace that only the user running the tests can write (root's,
  // when they run as root), for pgreplica's state directory; removed with the workspace.
  const std::string& PrivateDir() const { return private_; }

 private:
  std::string path_;
  std::string private_;
};

struct ClusterOptions {
  std::string name = "primary";
  bool replication_role = true;       // create "replicator" with LOGIN REPLICATION
  bool hba_replication = true;        // allow replication connections in pg_hba.conf
  std::vector<std::string> settings;  // extra postgresql.conf lines
  // The server programs (initdb, postgres, pg_ctl); empty: TestEnv's. Client programs (pgbench,
  // pg_basebackup) missing there come from TestEnv's bindir.
  std::string bindir;
  // A separate network host (tests/support/hosts.h): the server runs in this network
  // namespace (needs root), the test process reaches it through its Unix socket, and
  // `listen_addresses` are that host's. Empty: this host, on 127.0.0.1.
  std::string netns;
  std::string listen_addresses = "127.0.0.1";
  // Extra pg_hba.conf lines "host all all ADDRESS scram-sha-256" (logins, not replication),
  // for the other hosts' addresses.
  std::vector<std::string> hba_hosts;
};

class Cluster {
 public:
  static inline const std::string kSuperuser = "postgres";
  static inline const std::string kSuperPassword = "super:pa\\ss 'w\"d#ü";
  static inline const std::string kReplicationUser = "replicator";
  static inline const std::string kReplicationPassword = "rep:l\\ica 'pw\" #ö";

  // initdb + configure + start. Fails the calling test through ASSERTs at the call site.
  static Result<std::unique_ptr<Cluster>> Create(const Workspace& ws,
                                                 const ClusterOptions& options);
  // A data directory started by someone else (pgreplica clone) on `port`.
  // `bindir`: its server programs (empty: TestEnv's); `netns`: the network namespace it runs
  // in (its pg_ctl runs there too).
  static std::unique_ptr<Cluster> Adopt(const Workspace& ws, const std::string& name,
                                        const std::string& data_dir, int port,
                                        const std::string& bindir = "",
                                        const std::string& netns = "");
  // A streaming standby of this primary, of any major version (pg_basebackup may be older than
  // the server): stops this primary, copies its data directory, starts it again on its port,
  // then starts the copy as a standby through the physical slot `slot` (created here).
  Result<std::unique_ptr<Cluster>> CreateStandbyByCopy(const Workspace& ws, const std::string& name,
                                                       const std::string& slot);
  ~Cluster();

  Status Start();
  Status Stop(const std::string& mode = "fast");
  Status Restart();
  // SIGKILL the postmaster (a crash).
  void Kill();
  bool Running() const;

  Result<pg::Connection> Connect(const std::string& dbname = "postgres") const;
  Result<pg::QueryResult> Sql(const std::string& sql, const pg::Params& params = {}) const;
  // First column of the first row; error when there is none.
  Result<std::string> Scalar(const std::string& sql, const pg::Params& params = {}) const;
  // Waits until `sql` returns "t" (or the timeout passes).
  bool WaitFor(const std::string& sql, int seconds = 60) const;

  Status PgbenchInit(int scale) const;
  // A pgbench write load in the background, ended by the returned child's destructor.
  Result<proc::Child> PgbenchLoad(int seconds, int rate, int clients = 2) const;
  // Runs a program as the OS user (in the cluster's network namespace): from the cluster's
  // bindir when it is there, else TestEnv's.
  Result<proc::RunResult> RunTool(std::vector<std::string> argv) const;
  // Where the test process connects: 127.0.0.1, or the socket directory of a cluster in
  // another network namespace.
  std::string ConnectHost() const;

  const std::string& name() const { return name_; }
  const std::string& bindir() const { return bindir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& log_file() const { return log_file_; }
  // libpq password file with the superuser's entry, owned by the OS user.
  const std::string& admin_passfile() const { return admin_passfile_; }
  int port() const { return port_; }
  const std::string& netns() const { return netns_; }

 private:
  Cluster() = default;
  Status Configure(const ClusterOptions& options);
  Status WaitReady(int seconds);

  std::string name_, dir_, data_dir_, socket_dir_, log_file_, admin_passfile_, bindir_, netns_;
  int port_ = 0;
  bool adopted_ = false;
  mutable std::optional<proc::Child> postmaster_;  // when started by the fixture (Poll reaps)
};

// Installed by the integration tests' main: SIGINT/SIGTERM stop every server
// started or adopted by this process, then exit.
void InstallInterruptCleanup();
// Stops servers left by test processes that no longer exist.
void SweepStrays();
// A command the interrupt cleanup runs (after stopping the servers) until it is unregistered:
// removing the network namespaces of tests/support/hosts.h. Returns its handle (-1: no room).
int RegisterInterruptCommand(const std::vector<std::string>& argv);
void UnregisterInterruptCommand(int handle);
// `argv` run as the OS user inside network namespace `netns` (ip netns exec + setpriv); the
// program gets the parent-death signal SIGQUIT.
std::vector<std::string> InNetns(const std::string& netns, std::vector<std::string> argv);

}  // namespace pgreplica::testing
