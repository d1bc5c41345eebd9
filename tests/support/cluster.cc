#include "support/cluster.h"

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "conf/pgpass.h"
#include "pg/binaries.h"

namespace pgreplica::testing {

namespace {

constexpr const char* kRootPrefix = "/tmp/pgreplica-it-";

// Postmaster pids of this process's servers, for the signal handler only.
constexpr int kMaxServers = 64;
volatile std::sig_atomic_t g_servers[kMaxServers];

void Register(pid_t pid) {
  for (auto& slot : g_servers)
    if (slot == 0) {
      slot = pid;
      return;
    }
}

void Unregister(pid_t pid) {
  for (auto& slot : g_servers)
    if (slot == pid) slot = 0;
}

// Commands for the signal handler (RegisterInterruptCommand): argv pointers into a fixed
// buffer, prepared outside the handler.
constexpr int kMaxCommands = 8;
struct InterruptCommand {
  volatile std::sig_atomic_t used = 0;
  char text[2048];
  char* argv[32];
};
InterruptCommand g_commands[kMaxCommands];

void OnInterrupt(int sig) {
  for (auto& slot : g_servers)
    if (slot > 0) kill(slot, SIGQUIT);
  for (auto& c : g_commands) {
    if (!c.used) continue;
    pid_t pid = fork();  // async-signal-safe, as are execvp's underlying execve and waitpid
    if (pid == 0) {
      execvp(c.argv[0], c.argv);
      _exit(127);
    }
    if (pid > 0) waitpid(pid, nullptr, 0);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

std::optional<pid_t> PostmasterPid(const std::string& data_dir) {
  std::ifstream f(data_dir + "/postmaster.pid");
  pid_t pid = 0;
  if (f >> pid && pid > 0) return pid;
  return std::nullopt;
}

[[noreturn]] void Die(const std::string& why) {
  std::cerr << "integration tests cannot run: " << why << std::endl;
  std::exit(2);
}

Owner OwnerOf(const proc::OsUser& u) { return {u.uid, u.gid}; }

}  // namespace

const TestEnv& TestEnv::Get() {
  static const TestEnv env = [] {
    TestEnv e;
    const char* name = std::getenv("PGREPLICA_TEST_OS_USER");
    auto user =
        proc::RunningAsRoot() ? proc::LookupUser(name ? name : "postgres") : proc::CurrentUser();
    if (!user) Die(user.error().message + " (set PGREPLICA_TEST_OS_USER to an unprivileged user)");
    e.os_user = *user;
    auto bindir = pg::ChooseBindir(
        std::getenv("PGREPLICA_TEST_BINDIR") ? std::getenv("PGREPLICA_TEST_BINDIR") : "",
        std::nullopt);
    if (!bindir) Die(bindir.error().message);
    e.bindir = *bindir;
    e.major = pg::InspectProgram(e.bindir, "postgres").major;
    return e;
  }();
  return env;
}

std::string FetchedBindir(int major) {
  const char* cache = std::getenv("PGREPLICA_PG_CACHE");
  return fmt::format("{}/{}/bin", cache && *cache ? cache : "/var/cache/pgreplica-test/postgres",
                     major);
}

std::optional<std::string> ServerBindir(int major) {
  for (const auto& dir : {fmt::format("/usr/lib/postgresql/{}/bin", major), FetchedBindir(major)}) {
    bool all = true;
    for (const char* program : {"initdb", "pg_ctl", "postgres"})
      all = all && access((dir + "/" + program).c_str(), X_OK) == 0;
    if (all) return dir;
  }
  return std::nullopt;
}

Workspace::Workspace() {
  const auto& env = TestEnv::Get();
  auto dir = TempDir::Create("/tmp", fmt::format("pgreplica-it-{}-", getpid()));
  if (!dir) Die(dir.error().message);
  path_ = dir->Release();
  if (chown(path_.c_str(), env.os_user.uid, env.os_user.gid) != 0) Die("could not chown " + path_);
  chmod(path_.c_str(), 0755);
  private_ = path_ + ".private";
  if (mkdir(private_.c_str(), 0755) != 0) Die("could not create " + private_);
}

Workspace::~Workspace() {
  (void)RemoveTree(path_);
  (void)RemoveTree(private_);
}

std::string Workspace::MakeDir(const std::string& name) const {
  std::string p = path_ + "/" + name;
  (void)MakeDirs(p, 0700, OwnerOf(TestEnv::Get().os_user));
  return p;
}

std::string Workspace::WriteFile(const std::string& name, const std::string& text) const {
  std::string p = path_ + "/" + name;
  (void)WriteFileAtomic(p, text, 0600, OwnerOf(TestEnv::Get().os_user));
  return p;
}

Result<std::unique_ptr<Cluster>> Cluster::Create(const Workspace& ws, const ClusterOptions& o) {
  const auto& env = TestEnv::Get();
  std::unique_ptr<Cluster> c(new Cluster());
  c->name_ = o.name;
  c->bindir_ = o.bindir.empty() ? env.bindir : o.bindir;
  c->netns_ = o.netns;
  c->dir_ = ws.MakeDir(o.name);
  c->data_dir_ = c->dir_ + "/data";
  c->socket_dir_ = c->dir_ + "/sock";
  c->log_file_ = c->dir_ + "/server.log";
  (void)MakeDirs(c->socket_dir_, 0700, OwnerOf(env.os_user));
  std::string pwfile = ws.WriteFile(o.name + ".pw", kSuperPassword + "\n");
  auto init = c->RunTool({"initdb", "-D", c->data_dir_, "-U", kSuperuser, "--pwfile=" + pwfile,
                          "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"});
  unlink(pwfile.c_str());
  if (!init) return std::unexpected(init.error());
  if (!init->status.ok())
    return Fail(ErrorKind::kChildFailed, "initdb " + init->status.Describe(), init->output);
  c->admin_passfile_ = ws.WriteFile(
      o.name + ".admin.pgpass",
      fmt::format("*:*:*:{}:{}\n", kSuperuser, conf::EscapePgpassField(kSuperPassword)));
  if (auto ok = c->Configure(o); !ok) return std::unexpected(ok.error());
  if (auto ok = c->Start(); !ok) return std::unexpected(ok.error());
  if (o.replication_role) {
    auto conn = c->Connect();
    if (!conn) return std::unexpected(conn.error());
    auto verifier = conn->ScramVerifier(kReplicationPassword, kReplicationUser);
    auto lit = conn->QuoteLiteral(*verifier);
    auto r = conn->Exec(
        fmt::format("CREATE ROLE {} LOGIN REPLICATION PASSWORD {}", kReplicationUser, *lit));
    if (!r) return std::unexpected(r.error());
  }
  return c;
}

std::unique_ptr<Cluster> Cluster::Adopt(const Workspace&, const std::string& name,
                                        const std::string& data_dir, int port,
                                        const std::string& bindir, const std::string& netns) {
  std::unique_ptr<Cluster> c(new Cluster());
  c->name_ = name;
  c->bindir_ = bindir.empty() ? TestEnv::Get().bindir : bindir;
  c->netns_ = netns;
  c->data_dir_ = data_dir;
  c->dir_ = DirName(data_dir);
  c->port_ = port;
  c->adopted_ = true;
  c->log_file_ = data_dir + ".log";
  // The socket directory comes from the copied configuration: the primary's.
  std::ifstream conf(data_dir + "/postgresql.conf");
  std::string line;
  while (std::getline(conf, line)) {
    if (line.rfind("unix_socket_directories = '", 0) == 0)
      c->socket_dir_ = line.substr(27, line.find('\'', 27) - 27);
  }
  if (auto pid = PostmasterPid(data_dir)) Register(*pid);
  return c;
}

Cluster::~Cluster() {
  if (adopted_) {
    auto pid = PostmasterPid(data_dir_);
    if (pid && kill(*pid, 0) == 0) {
      (void)RunTool({"pg_ctl", "stop", "-D", data_dir_, "-m", "immediate", "-w", "-t", "30"});
      Unregister(*pid);
    }
    return;
  }
  if (postmaster_ && postmaster_->running()) {
    Unregister(postmaster_->pid());
    kill(postmaster_->pid(), SIGQUIT);
    postmaster_->Wait({.timeout = std::chrono::seconds(30)});
  }
}

Status Cluster::Configure(const ClusterOptions& o) {
  std::string conf = fmt::format(
      "\n# pgreplica test cluster\n"
      "listen_addresses = '{}'\n"
      "unix_socket_directories = '{}'\n"
      "fsync = off\n"
      "synchronous_commit = off\n"
      "full_page_writes = on\n"
      "shared_buffers = 32MB\n"
      "max_wal_size = 256MB\n"
      "logging_collector = off\n"
      "log_line_prefix = '%m [%p] %u@%d '\n",
      o.listen_addresses, socket_dir_);
  for (const auto& s : o.settings) conf += s + "\n";
  std::ofstream(data_dir_ + "/postgresql.conf", std::ios::app) << conf;
  if (!o.hba_hosts.empty()) {
    std::ofstream hba(data_dir_ + "/pg_hba.conf", std::ios::app);
    hba << "\n# other test hosts\n";
    for (const auto& a : o.hba_hosts) hba << "host all all " << a << " scram-sha-256\n";
  }
  if (!o.hba_replication) {
    std::ifstream in(data_dir_ + "/pg_hba.conf");
    std::stringstream kept;
    std::string line;
    while (std::getline(in, line))
      if (line.find("replication") == std::string::npos || line.rfind('#', 0) == 0)
        kept << line << "\n";
    in.close();
    std::ofstream(data_dir_ + "/pg_hba.conf", std::ios::trunc) << kept.str();
  }
  return {};
}

Status Cluster::Start() {
  const auto& env = TestEnv::Get();
  // Clusters in other network namespaces hold no port here: never hand one out twice, since
  // their copies share the primary's socket directory.
  static std::set<int> netns_ports;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (port_ == 0 || attempt > 0) {
      do port_ = FreePort();
      while (!netns_.empty() && !netns_ports.insert(port_).second);
    }
    std::vector<std::string> argv = {bindir_ + "/postgres", "-D", data_dir_, "-p",
                                     std::to_string(port_)};
    proc::ChildSpec spec{
        .argv = argv, .run_as = env.os_user, .output_file = log_file_, .die_with_parent = true};
    if (!netns_.empty()) {
      spec.argv = InNetns(netns_, argv);
      spec.run_as.reset();  // setpriv switches to the OS user inside the namespace
    }
    auto child = proc::Child::Start(spec);
    if (!child) return std::unexpected(child.error());
    postmaster_ = std::move(*child);
    Register(postmaster_->pid());
    if (auto ok = WaitReady(60); ok) return {};
    Unregister(postmaster_->pid());
    postmaster_.reset();
    // Retry on another port only if the port was taken; else report the log.
    auto log = ReadFile(log_file_);
    if (!log || log->find("could not bind") == std::string::npos) {
      return Fail(ErrorKind::kChildFailed, "test cluster \"" + name_ + "\" did not start",
                  log ? log->substr(log->size() > 2000 ? log->size() - 2000 : 0) : "");
    }
  }
  return Fail(ErrorKind::kChildFailed, "no free port for test cluster \"" + name_ + "\"");
}

Status Cluster::WaitReady(int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (postmaster_ && !postmaster_->Poll()) break;
    if (Connect()) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Fail(ErrorKind::kConnection, "test cluster \"" + name_ + "\" did not become ready");
}

Status Cluster::Stop(const std::string& mode) {
  if (adopted_) {
    auto r = RunTool({"pg_ctl", "stop", "-D", data_dir_, "-m", mode, "-w", "-t", "60"});
    if (!r) return std::unexpected(r.error());
    if (!r->status.ok())
      return Fail(ErrorKind::kChildFailed, "pg_ctl stop " + r->status.Describe(), r->output);
    return {};
  }
  if (!postmaster_ || !postmaster_->running()) return {};
  Unregister(postmaster_->pid());
  int sig = mode == "immediate" ? SIGQUIT : mode == "smart" ? SIGTERM : SIGINT;
  // The postmaster alone: it shuts its children down in order.
  kill(postmaster_->pid(), sig);
  postmaster_->Wait({.timeout = std::chrono::seconds(60)});
  postmaster_.reset();
  return {};
}

Status Cluster::Restart() {
  if (auto ok = Stop(); !ok) return ok;
  return Start();
}

void Cluster::Kill() {
  if (adopted_) {
    if (auto pid = PostmasterPid(data_dir_)) kill(*pid, SIGKILL);
    return;
  }
  if (postmaster_) {
    Unregister(postmaster_->pid());
    kill(postmaster_->pid(), SIGKILL);
    postmaster_->Wait({.timeout = std::chrono::seconds(10)});
    postmaster_.reset();
  }
}

bool Cluster::Running() const {
  if (adopted_) {
    auto pid = PostmasterPid(data_dir_);
    return pid && kill(*pid, 0) == 0;
  }
  return postmaster_ && postmaster_->Poll();
}

Result<pg::Connection> Cluster::Connect(const std::string& dbname) const {
  pg::ConnParams p;
  p.host = ConnectHost();
  p.port = port_;
  p.user = kSuperuser;
  p.password = kSuperPassword;
  p.dbname = dbname;
  p.connect_timeout = 5;
  p.application_name = "pgreplica-test";
  return pg::Connection::Open(p, name_);
}

Result<pg::QueryResult> Cluster::Sql(const std::string& sql, const pg::Params& params) const {
  auto conn = Connect();
  if (!conn) return std::unexpected(conn.error());
  return conn->Exec(sql, params);
}

Result<std::string> Cluster::Scalar(const std::string& sql, const pg::Params& params) const {
  auto r = Sql(sql, params);
  if (!r) return std::unexpected(r.error());
  if (r->rows() < 1 || r->columns() < 1) return Fail(ErrorKind::kQuery, "no rows from: " + sql);
  return r->IsNull(0, 0) ? std::string() : r->Get(0, 0);
}

bool Cluster::WaitFor(const std::string& sql, int seconds) const {
  for (int i = 0; i < seconds * 5; ++i) {
    auto v = Scalar(sql);
    if (v && *v == "t") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string Cluster::ConnectHost() const {
  return netns_.empty() ? std::string("127.0.0.1") : socket_dir_;
}

Result<proc::RunResult> Cluster::RunTool(std::vector<std::string> argv) const {
  const auto& env = TestEnv::Get();
  std::string own = bindir_ + "/" + argv[0];
  argv[0] = access(own.c_str(), X_OK) == 0 ? own : env.bindir + "/" + argv[0];
  proc::ChildSpec spec{.argv = argv, .run_as = env.os_user, .cwd = "/tmp"};
  if (!netns_.empty()) {
    spec.argv = InNetns(netns_, argv);
    spec.run_as.reset();
  }
  if (!admin_passfile_.empty()) spec.env.emplace_back("PGPASSFILE", admin_passfile_);
  return proc::Run(spec, {.timeout = std::chrono::minutes(10)});
}

Result<std::unique_ptr<Cluster>> Cluster::CreateStandbyByCopy(const Workspace& ws,
                                                              const std::string& name,
                                                              const std::string& slot) {
  const auto& env = TestEnv::Get();
  if (auto r = Sql("SELECT pg_create_physical_replication_slot($1, true)", {slot}); !r)
    return std::unexpected(r.error());
  std::unique_ptr<Cluster> c(new Cluster());
  c->name_ = name;
  c->bindir_ = bindir_;
  c->dir_ = ws.MakeDir(name);
  c->data_dir_ = c->dir_ + "/data";
  c->socket_dir_ = socket_dir_;  // the copied configuration's
  c->log_file_ = c->dir_ + "/server.log";
  c->admin_passfile_ = admin_passfile_;
  // A cleanly stopped primary's files are a consistent copy.
  if (auto ok = Stop(); !ok) return std::unexpected(ok.error());
  auto cp = proc::Run({.argv = {"cp", "-a", data_dir_, c->data_dir_}, .run_as = env.os_user},
                      {.timeout = std::chrono::minutes(5)});
  if (auto ok = Start(); !ok) return std::unexpected(ok.error());
  if (!cp) return std::unexpected(cp.error());
  if (!cp->status.ok())
    return Fail(ErrorKind::kChildFailed, "cp " + cp->status.Describe(), cp->output);
  std::string passfile = ws.WriteFile(name + ".replication.pgpass",
                                      fmt::format("*:*:*:{}:{}\n", kReplicationUser,
                                                  conf::EscapePgpassField(kReplicationPassword)));
  std::ofstream(c->data_dir_ + "/postgresql.auto.conf", std::ios::app) << fmt::format(
      "primary_conninfo = 'host=127.0.0.1 port={} user={} passfile={} application_name={}'\n"
      "primary_slot_name = '{}'\n",
      port_, kReplicationUser, passfile, name, slot);
  (void)WriteFileAtomic(c->data_dir_ + "/standby.signal", "", 0600, OwnerOf(env.os_user));
  if (auto ok = c->Start(); !ok) return std::unexpected(ok.error());
  if (!c->WaitFor("SELECT status = 'streaming' FROM pg_stat_wal_receiver"))
    return Fail(ErrorKind::kConnection, "standby \"" + name + "\" does not stream");
  return c;
}

Status Cluster::PgbenchInit(int scale) const {
  auto r = RunTool({"pgbench", "-i", "-q", "-s", std::to_string(scale), "-h", ConnectHost(), "-p",
                    std::to_string(port_), "-U", kSuperuser, "postgres"});
  if (!r) return std::unexpected(r.error());
  if (!r->status.ok())
    return Fail(ErrorKind::kChildFailed, "pgbench -i " + r->status.Describe(), r->output);
  return {};
}

Result<proc::Child> Cluster::PgbenchLoad(int seconds, int rate, int clients) const {
  const auto& env = TestEnv::Get();
  return proc::Child::Start(
      {.argv = {env.bindir + "/pgbench", "-n", "-c", std::to_string(clients), "-T",
                std::to_string(seconds), "-R", std::to_string(rate), "-h", ConnectHost(), "-p",
                std::to_string(port_), "-U", kSuperuser, "postgres"},
       .env = {{"PGPASSFILE", admin_passfile_}},
       .run_as = env.os_user,
       .cwd = "/tmp",
       .die_with_parent = true});
}

void InstallInterruptCleanup() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

void SweepStrays() {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    std::string path = entry.path().string();
    if (path.rfind(kRootPrefix, 0) != 0) continue;
    pid_t owner = std::atoi(path.c_str() + std::string(kRootPrefix).size());
    if (owner <= 0 || owner == getpid() || kill(owner, 0) == 0) continue;
    // The test process that made it is gone: stop its servers and remove it once they have
    // exited (up to 10 s; they are not our children, so kill(pid, 0) fails once reaped).
    std::vector<pid_t> postmasters;
    for (const auto& sub : fs::recursive_directory_iterator(path, ec)) {
      if (sub.path().filename() == "postmaster.pid") {
        if (auto pid = PostmasterPid(sub.path().parent_path().string());
            pid && kill(*pid, SIGQUIT) == 0)
          postmasters.push_back(*pid);
      }
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline &&
           std::any_of(postmasters.begin(), postmasters.end(),
                       [](pid_t pid) { return kill(pid, 0) == 0; }))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fs::remove_all(path, ec);
  }
}

}  // namespace pgreplica::testing

namespace pgreplica::testing {

int RegisterInterruptCommand(const std::vector<std::string>& argv) {
  for (int i = 0; i < kMaxCommands; ++i) {
    auto& c = g_commands[i];
    if (c.used) continue;
    size_t need = 0;
    for (const auto& a : argv) need += a.size() + 1;
    if (need > sizeof c.text || argv.size() + 1 > std::size(c.argv)) return -1;
    char* p = c.text;
    for (size_t k = 0; k < argv.size(); ++k) {
      std::memcpy(p, argv[k].c_str(), argv[k].size() + 1);
      c.argv[k] = p;
      p += argv[k].size() + 1;
    }
    c.argv[argv.size()] = nullptr;
    c.used = 1;
    return i;
  }
  return -1;
}

void UnregisterInterruptCommand(int handle) {
  if (handle >= 0 && handle < kMaxCommands) g_commands[handle].used = 0;
}

std::vector<std::string> InNetns(const std::string& netns, std::vector<std::string> argv) {
  const auto& env = TestEnv::Get();
  std::vector<std::string> out = {"ip",
                                  "netns",
                                  "exec",
                                  netns,
                                  "setpriv",
                                  fmt::format("--reuid={}", env.os_user.uid),
                                  fmt::format("--regid={}", env.os_user.gid),
                                  "--clear-groups",
                                  "--pdeathsig=QUIT",
                                  "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace pgreplica::testing
