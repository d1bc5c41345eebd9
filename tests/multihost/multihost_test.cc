// pgreplica across separate network hosts on one machine (tests/support/hosts.h): a primary,
// two replica hosts and a monitoring host, each a network namespace with its own address and
// name, every server and every pgreplica command run in its host. Needs root; skips otherwise.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/cluster.h"
#include "support/hosts.h"
#include "support/root_config.h"
#include "support/snapshot.h"

namespace pgreplica::testing {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr int kConnectTimeout = 3;
constexpr int kNetworkTimeout = 8;
constexpr int kSilenceCrit = 6;
const std::vector<std::string> kReplicas = {"db-replica-1", "db-replica-2"};

// The slot name DefaultSlotName would give the host (a namespace keeps the machine's host name).
std::string SlotOf(std::string host) {
  std::replace(host.begin(), host.end(), '-', '_');
  return "node_" + host + "_slot";
}

class MultiHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Hosts::Unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto h = Hosts::Up({"primary", "db-replica-1", "db-replica-2", "monitor"});
    ASSERT_TRUE(h) << h.error().message << "\n" << h.error().detail;
    hosts_ = std::move(*h);
    for (const auto& r : kReplicas) ports_[r] = FreePort();
    secret_ = ws_.WriteFile("replication.secret", Cluster::kReplicationPassword + "\n");
  }

  const Host& H(const std::string& name) const { return (*hosts_)[name]; }
  std::string Subnet() const {
    const auto& a = H("primary").address;
    return a.substr(0, a.rfind('.')) + ".0/24";
  }
  std::string Data(const std::string& host) const { return ws_.path() + "/" + host + "/data"; }

  // The primary: in its host, listening on every address of that host (the copies take its
  // postgresql.conf and must listen on their own host's), logins from the other hosts allowed
  // in pg_hba.conf, replication not yet (primary setup adds it per replica). A walsender
  // timeout of 6 s makes an idle primary send keepalives every 3 s, below the silence
  // threshold of the checks.
  void StartPrimary() {
    ClusterOptions o;
    o.name = "primary";
    o.replication_role = false;
    o.hba_replication = false;
    o.settings = {"wal_sender_timeout = '6s'", "max_wal_senders = 6"};
    o.netns = H("primary").netns;
    o.listen_addresses = "*";
    o.hba_hosts = {Subnet()};
    auto p = Cluster::Create(ws_, o);
    ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
    primary_ = std::move(*p);
  }

  // A host's pgreplica.yaml as its administrator would write it: the primary by name, this
  // host's own data directory, port, password file and state directory.
  std::string Config(const std::string& host, const std::string& extra = "") {
    std::string data_dir = host == "primary" ? primary_->data_dir() : Data(host);
    int port = ports_.count(host) ? ports_[host] : 5432;
    std::string yaml = fmt::format(
        "primary:\n"
        "  host: {}\n"
        "  port: {}\n"
        "  admin_user: {}\n"
        "  admin_passfile: {}\n"
        "replication:\n"
        "  user: {}\n"
        "  password_file: {}\n"
        "  slot: {}\n"
        "state_directory: {}/state-{}\n"
        "connect_timeout: {}\n"
        "network_timeout: {}\n"
        "check:\n"
        "  silence_crit_seconds: {}\n"
        "clone:\n"
        "  confirm_timeout: 60\n"
        "local:\n"
        "  os_user: {}\n"
        "  bindir: {}\n"
        "  data_directory: {}\n"
        "  port: {}\n"
        "  pgpass_file: {}/{}.pgpass\n"
        "  admin_passfile: {}\n",
        H("primary").fqdn, primary_->port(), Cluster::kSuperuser, primary_->admin_passfile(),
        Cluster::kReplicationUser, secret_, SlotOf(host), ws_.PrivateDir(), host, kConnectTimeout,
        kNetworkTimeout, kSilenceCrit, TestEnv::Get().os_user.name, TestEnv::Get().bindir, data_dir,
        port, ws_.path(), host, primary_->admin_passfile());
    return WriteConfigFile(ws_, host + ".yaml", yaml + extra);
  }

  CliResult Run(const std::string& host, const std::vector<std::string>& args) {
    return RunPgreplicaIn(H(host).netns, ws_, args);
  }

  // primary setup on the primary host for one replica's address; pgpass and clone there.
  void Allow(const std::string& replica) {
    auto r = Run("primary", {"primary", "setup", "--config", Config("primary"), "--allowed-address",
                             H(replica).address});
    ASSERT_EQ(r.code, 0) << r.output;
  }
  void CloneReplica(const std::string& replica) {
    std::string cfg = Config(replica);
    ws_.MakeDir(replica);
    auto pgpass = Run(replica, {"pgpass", "--config", cfg, "--verify"});
    ASSERT_EQ(pgpass.code, 0) << pgpass.output;
    auto clone = Run(replica, {"clone", "--config", cfg});
    ASSERT_EQ(clone.code, 0) << clone.output;
    standbys_[replica] =
        Cluster::Adopt(ws_, replica, Data(replica), ports_[replica], "", H(replica).netns);
  }
  bool Streams(const std::string& replica, int seconds = 60) {
    return standbys_.at(replica)->WaitFor(
        "SELECT pg_is_in_recovery() AND (SELECT status = 'streaming' FROM pg_stat_wal_receiver)",
        seconds);
  }
  std::string Slots() const {
    auto s = primary_->Scalar(
        "SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), '') FROM "
        "pg_replication_slots");
    return s ? *s : "?" + s.error().message;
  }
  std::string Inventory() {
    std::string nodes;
    nodes += fmt::format("  - {{name: primary, host: {}, port: {}}}\n", H("primary").fqdn,
                         primary_->port());
    for (const auto& r : kReplicas)
      nodes += fmt::format("  - {{name: {}, host: {}, port: {}}}\n", r, r, ports_[r]);
    return WriteConfigFile(
        ws_, "fleet.yaml",
        fmt::format("defaults:\n  user: {}\n  passfile: {}\n  timeout: {}\nnodes:\n{}",
                    Cluster::kSuperuser, primary_->admin_passfile(), kConnectTimeout, nodes));
  }

  Workspace ws_;
  std::unique_ptr<Hosts> hosts_;
  std::map<std::string, int> ports_;
  std::string secret_;
  std::unique_ptr<Cluster> primary_;
  std::map<std::string, std::unique_ptr<Cluster>> standbys_;
};

// The lifecycle by host name: setup allows one replica's real address, the other replica is
// refused by pg_hba.conf in the preflight, the first is cloned, watched from a third host and
// retired.
TEST_F(MultiHostTest, LifecycleAcrossHostsByName) {
  ASSERT_NO_FATAL_FAILURE(StartPrimary());
  ASSERT_NO_FATAL_FAILURE(Allow("db-replica-1"));

  // db-replica-2's address has no pg_hba.conf line: refused before anything is made.
  std::string cfg2 = Config("db-replica-2");
  ws_.MakeDir("db-replica-2");
  ASSERT_EQ(Run("db-replica-2", {"pgpass", "--config", cfg2}).code, 0);
  auto refused = Run("db-replica-2", {"clone", "--config", cfg2});
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("pg_hba.conf"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find(H("db-replica-2").address), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(Data("db-replica-2")));
  EXPECT_FALSE(std::filesystem::exists(Data("db-replica-2") + ".pgreplica-staging"));
  EXPECT_EQ(Slots(), "");

  // The not-self check: the same port number on another address is not this host; this
  // host's own name is, even though it is a name and not an address.
  std::string cfg1 = Config("db-replica-1");
  ws_.MakeDir("db-replica-1");
  std::string same_port = std::to_string(primary_->port());
  auto other = Run("db-replica-1", {"clone", "--config", cfg1, "--dry-run", "--local-port",
                                    same_port, "--output", "json"});
  EXPECT_NE(other.output.find("the primary is not this standby's own address"), std::string::npos)
      << other.output;
  auto self = Run("db-replica-1", {"clone", "--config", cfg1, "--dry-run", "--host", "db-replica-1",
                                   "--local-port", same_port});
  EXPECT_EQ(self.code, 1) << self.output;
  EXPECT_NE(self.output.find("the primary's address is this host and the standby's own port"),
            std::string::npos)
      << self.output;

  ASSERT_NO_FATAL_FAILURE(CloneReplica("db-replica-1"));
  EXPECT_TRUE(Streams("db-replica-1"));
  // The standby streams from the primary by name, through the address pg_hba.conf allows.
  auto sender = standbys_["db-replica-1"]->Scalar("SELECT sender_host FROM pg_stat_wal_receiver");
  ASSERT_TRUE(sender);
  EXPECT_EQ(*sender, H("primary").fqdn);
  auto client = primary_->Scalar(fmt::format(
      "SELECT host(client_addr) FROM pg_stat_replication WHERE application_name <> '' AND "
      "pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{}')",
      SlotOf("db-replica-1")));
  ASSERT_TRUE(client);
  EXPECT_EQ(*client, H("db-replica-1").address);

  // status and check from a third host.
  std::string cfgm = Config("monitor");
  auto status = Run("monitor", {"status", "--config", cfgm, "--primary-only", "--output", "json"});
  EXPECT_EQ(status.code, 0) << status.output;
  auto j = status.Json();
  ASSERT_EQ(j["nodes"].size(), 1u) << status.output;
  EXPECT_EQ(j["nodes"][0]["host"], H("primary").fqdn);
  bool seen = false;
  for (const auto& s : j["nodes"][0]["slots"]) {
    if (s["name"] == SlotOf("db-replica-1")) {
      seen = true;
      EXPECT_EQ(s["active"], true) << status.output;
    }
  }
  EXPECT_TRUE(seen) << status.output;
  auto check = Run(
      "monitor", {"check", "--config", cfgm, "--primary-only", "--expect", SlotOf("db-replica-1")});
  EXPECT_EQ(check.code, 0) << check.output;
  // And on the replica itself: its standby, and the primary by name.
  auto local = Run("db-replica-1", {"check", "--config", cfg1});
  EXPECT_EQ(local.code, 0) << local.output;

  auto retire = Run("db-replica-1", {"decommission", "--config", cfg1, "--stop"});
  EXPECT_EQ(retire.code, 0) << retire.output;
  EXPECT_EQ(Slots(), "");
  EXPECT_FALSE(standbys_["db-replica-1"]->Running());
}

// The cable of a replica host is cut while it streams: its check goes CRITICAL within the
// silence threshold, the primary host sees the slot inactive and the WAL it keeps, and the
// inventories from a third host report the unreachable host within their timeout.
TEST_F(MultiHostTest, LinkCutWhileStreamingAndInventories) {
  ASSERT_NO_FATAL_FAILURE(StartPrimary());
  for (const auto& r : kReplicas) {
    ASSERT_NO_FATAL_FAILURE(Allow(r));
    ASSERT_NO_FATAL_FAILURE(CloneReplica(r));
  }
  std::string fleet = Inventory();
  auto all = Run("monitor", {"status", "--inventory", fleet, "--output", "json"});
  EXPECT_EQ(all.code, 0) << all.output;
  auto all_check = Run("monitor", {"check", "--inventory", fleet});
  EXPECT_EQ(all_check.code, 0) << all_check.output;
  std::string cfg1 = Config("db-replica-1");
  auto before = Run("db-replica-1", {"check", "--config", cfg1, "--local-only"});
  ASSERT_EQ(before.code, 0) << before.output;

  ASSERT_TRUE(hosts_->Link("db-replica-1", false));
  auto cut = Clock::now();
  CliResult critical;
  double critical_after = 0;
  while (Since(cut) < kSilenceCrit + 30) {
    critical = Run("db-replica-1", {"check", "--config", cfg1, "--local-only"});
    critical_after = Since(cut);
    if (critical.code != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(critical.code, 2) << critical.output;
  EXPECT_NE(critical.output.find("PGREPLICA CRITICAL"), std::string::npos) << critical.output;
  // Keepalives come every 3 s; the threshold is 6 s; one check run and a poll interval more.
  EXPECT_LE(critical_after, kSilenceCrit + 4.0) << critical.output;
  RecordProperty("critical_after_cut_seconds", fmt::format("{:.1f}", critical_after));
  std::cerr << fmt::format("link cut while streaming: check CRITICAL after {:.1f} s\n",
                           critical_after);

  // The primary keeps writing; its host sees the slot inactive and the WAL it retains.
  ASSERT_TRUE(primary_->Sql("CREATE TABLE after_cut AS SELECT g FROM generate_series(1, 50000) g"));
  ASSERT_TRUE(primary_->Sql("SELECT pg_switch_wal()"));
  std::string cfgp = Config("primary");
  nlohmann::json slot;
  CliResult st;
  for (int i = 0; i < 60 && !(slot.is_object() && slot["active"] == false); ++i) {
    st = Run("primary", {"status", "--config", cfgp, "--primary-only", "--output", "json"});
    auto doc = st.Json();
    if (!doc.is_object() || !doc.contains("nodes") || doc["nodes"].empty()) break;
    for (const auto& s : doc["nodes"][0]["slots"])
      if (s["name"] == SlotOf("db-replica-1")) slot = s;
    if (!(slot.is_object() && slot["active"] == false))
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(slot.is_object()) << st.output;
  EXPECT_EQ(slot["active"], false) << slot.dump();
  EXPECT_GT(slot["retained_bytes"].get<long long>(), 1 << 20) << slot.dump();

  // Both inventories from the monitoring host: the cut host within the timeout, the others
  // as they are.
  auto start = Clock::now();
  auto inv = Run("monitor", {"status", "--inventory", fleet, "--output", "json"});
  double wall = Since(start);
  EXPECT_EQ(inv.code, 7) << inv.output;
  auto j = inv.Json();
  ASSERT_EQ(j["nodes"].size(), 3u) << inv.output;
  EXPECT_EQ(j["nodes"][0]["reachable"], true) << inv.output;
  EXPECT_EQ(j["nodes"][1]["reachable"], false) << inv.output;
  EXPECT_NE(j["nodes"][1]["error"].get<std::string>().find("timed out"), std::string::npos)
      << inv.output;
  EXPECT_EQ(j["nodes"][2]["reachable"], true) << inv.output;
  EXPECT_EQ(j["nodes"][2]["receiver"]["status"], "streaming") << inv.output;
  EXPECT_LT(wall, kConnectTimeout + 2.5) << inv.output;
  std::cerr << fmt::format("inventory with a host cut off: status took {:.1f} s\n", wall);
  start = Clock::now();
  auto inv_check = Run("monitor", {"check", "--inventory", fleet});
  wall = Since(start);
  // The unreachable host is UNKNOWN, the inactive slot WARNING, and the most severe state wins
  // (CRITICAL, WARNING, UNKNOWN; docs/monitoring.md).
  EXPECT_EQ(inv_check.code, 1) << inv_check.output;
  EXPECT_NE(inv_check.output.find("db-replica-1: timed out"), std::string::npos)
      << inv_check.output;
  EXPECT_NE(inv_check.output.find(SlotOf("db-replica-1") + " inactive"), std::string::npos)
      << inv_check.output;
  EXPECT_NE(inv_check.output.find("_up=0"), std::string::npos) << inv_check.output;
  EXPECT_LT(wall, kConnectTimeout + 2.5) << inv_check.output;

  ASSERT_TRUE(hosts_->Link("db-replica-1", true));
  EXPECT_TRUE(Streams("db-replica-1", 90));
}

// The cable of the replica host is cut while pg_basebackup copies over a slow link: the
// clone fails within network_timeout with one clear error, the old standby is untouched and
// starts and streams once the link is back, and the next clone cleans up and succeeds.
TEST_F(MultiHostTest, LinkCutMidCopy) {
  const std::string r = "db-replica-1";
  ASSERT_NO_FATAL_FAILURE(StartPrimary());
  ASSERT_NO_FATAL_FAILURE(Allow(r));
  ASSERT_TRUE(primary_->PgbenchInit(3));  // about 50 MB
  ASSERT_NO_FATAL_FAILURE(CloneReplica(r));
  auto& standby = *standbys_[r];
  ASSERT_TRUE(standby.Stop());
  std::ofstream(Data(r) + "/pgreplica-test-marker") << "old standby\n";
  auto before = TakeSnapshot(Data(r));
  std::string staging = Data(r) + ".pgreplica-staging";

  // 30 Mbit/s: the copy takes over ten seconds.
  ASSERT_TRUE(hosts_->Rate(r, "30mbit"));
  std::vector<std::string> argv = hosts_->Exec(r);
  for (std::string a :
       {std::string(PGREPLICA_BINARY), std::string("clone"), std::string("--config"), Config(r)})
    argv.push_back(a);
  auto child = proc::Child::Start({.argv = argv, .env = {{"NO_COLOR", "1"}}});
  ASSERT_TRUE(child);
  // Mid-copy: pg_basebackup runs and has written 10 MB into staging.
  auto copied = [&] {
    std::uintmax_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(staging, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) total += it->file_size(ec);
    return total;
  };
  bool mid_copy = false;
  for (int i = 0; i < 600 && !mid_copy; ++i) {
    mid_copy = FindProcess({"pg_basebackup", staging}) != 0 && copied() > (10u << 20);
    if (!mid_copy) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(mid_copy) << "the copy did not get going";
  ASSERT_TRUE(hosts_->Link(r, false));
  auto cut = Clock::now();
  // When pg_basebackup gives up, seen from outside (pgreplica then tries to drop the slot).
  double copy_ended_after = -1;
  std::thread watch([&] {
    while (Since(cut) < 180 && FindProcess({"pg_basebackup", staging}) != 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    copy_ended_after = Since(cut);
  });
  std::string output;
  auto status = child->Wait({.timeout = std::chrono::seconds(180),
                             .on_line = [&](const std::string& l) { output += l + "\n"; }});
  double failed_after = Since(cut);
  watch.join();
  RecordProperty("copy_ended_after_cut_seconds", fmt::format("{:.1f}", copy_ended_after));
  RecordProperty("clone_failed_after_cut_seconds", fmt::format("{:.1f}", failed_after));
  std::cerr << fmt::format(
      "link cut mid-copy: pg_basebackup ended after {:.1f} s, the clone after "
      "{:.1f} s\n",
      copy_ended_after, failed_after);
  EXPECT_FALSE(status.timed_out) << "the clone hangs on a silent link\n" << output;
  EXPECT_EQ(status.code, 11) << output;  // child_failed (docs/exit-codes.md)
  // Documented (docs/clone.md): network_timeout and 3 s for the copy to end, connect_timeout
  // for the attempt to drop the copy slot; a few seconds of slack for a loaded machine.
  EXPECT_LE(copy_ended_after, kNetworkTimeout + 3 + 4.0) << output;
  EXPECT_LE(failed_after, kNetworkTimeout + 3 + kConnectTimeout + 4.0) << output;
  EXPECT_NE(output.find("pg_basebackup"), std::string::npos) << output;
  EXPECT_NE(output.find("network_timeout"), std::string::npos) << output;
  EXPECT_EQ(DescribeDifference(before, TakeSnapshot(Data(r))), "");
  EXPECT_FALSE(std::filesystem::exists(staging)) << "staging left behind";
  EXPECT_EQ(FindProcess({"pg_basebackup", staging}), 0) << "pg_basebackup left running";

  // The link is back: the old standby starts and streams as before.
  ASSERT_TRUE(hosts_->Link(r, true));
  ASSERT_TRUE(hosts_->Rate(r, "none"));
  auto start = standby.RunTool({"pg_ctl", "start", "-D", Data(r), "-l", ws_.path() + "/restart.log",
                                "-w", "-o", fmt::format("-p {}", ports_[r])});
  ASSERT_TRUE(start);
  EXPECT_TRUE(start->status.ok()) << start->output;
  EXPECT_TRUE(Streams(r));

  // The next clone drops the copy slot the failed one could not, and succeeds.
  auto again = Run(r, {"clone", "--config", Config(r)});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(Slots(), SlotOf(r));
  EXPECT_FALSE(std::filesystem::exists(staging));
  EXPECT_TRUE(Streams(r));
}

}  // namespace
}  // namespace pgreplica::testing
