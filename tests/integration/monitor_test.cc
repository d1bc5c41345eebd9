// status, check (Nagios), Prometheus output, fleet inventories and
// decommission against real clusters.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/cluster.h"

namespace pgreplica::testing {
namespace {

// A strict reading of the monitoring-plugins output: "SERVICE STATE - text | perfdata".
struct NagiosLine {
  std::string state;
  std::string text;
  std::vector<std::string> labels;
};

std::optional<NagiosLine> ParseNagios(const std::string& output) {
  std::string line = output.substr(0, output.find('\n'));
  static const std::regex head(R"(^PGREPLICA (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*)(\| (.*))?$)");
  std::smatch m;
  if (!std::regex_match(line, m, head)) return std::nullopt;
  NagiosLine out{m[1], m[2], {}};
  std::string perf = m[4];
  static const std::regex item(
      R"(^('[^'=]+'|[^' =]+)=(-?[0-9.]+(s|us|ms|%|B|KB|MB|TB|c)?|U)(;(-?[0-9.]*)(;(-?[0-9.]*)(;(-?[0-9.]*)(;(-?[0-9.]*))?)?)?)?$)");
  std::istringstream in(perf);
  std::string token;
  while (in >> token) {
    std::smatch pm;
    if (!std::regex_match(token, pm, item)) return std::nullopt;
    out.labels.push_back(pm[1]);
  }
  return out;
}

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Cluster::Create(ws_, {});
    ASSERT_TRUE(p) << p.error().message;
    primary_ = std::move(*p);
    ws_.MakeDir("standby");
    data_ = ws_.path() + "/standby/data";
    port_ = FreePort();
    cfg_ = WriteConfig(ws_, *primary_,
                       fmt::format("  data_directory: {}\n  port: {}\n", data_, port_));
    standby_ = Cluster::Adopt(ws_, "standby", data_, port_);
    ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path}).code, 0);
  }
  void MakeStandby() {
    auto r = RunPgreplica(ws_, {"clone", "--config", cfg_.path, "--slot", "node_standby_slot"});
    ASSERT_EQ(r.code, 0) << r.output;
  }
  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", cfg_.path});
    return RunPgreplica(ws_, args);
  }

  Workspace ws_;
  std::unique_ptr<Cluster> primary_, standby_;
  std::string data_;
  int port_ = 0;
  TestConfig cfg_;
};

TEST_F(MonitorTest, HealthyPrimaryAndStandby) {
  MakeStandby();
  auto status = Run({"status", "--output", "json"});
  ASSERT_EQ(status.code, 0) << status.output;
  auto j = status.Json();
  ASSERT_EQ(j["nodes"].size(), 2u) << status.output;
  const auto& p = j["nodes"][0];
  EXPECT_EQ(p["role"], "primary");
  ASSERT_EQ(p["slots"].size(), 1u);
  EXPECT_EQ(p["slots"][0]["name"], "node_standby_slot");
  EXPECT_EQ(p["slots"][0]["active"], true);
  EXPECT_TRUE(p["slots"][0]["retained_bytes"].is_number());
  ASSERT_EQ(p["walsenders"].size(), 1u) << status.output;
  EXPECT_EQ(p["walsenders"][0]["state"], "streaming");
  EXPECT_EQ(p["walsenders"][0]["base_backup"], false);
  const auto& s = j["nodes"][1];
  EXPECT_EQ(s["role"], "standby");
  EXPECT_EQ(s["receiver"]["status"], "streaming");
  EXPECT_EQ(s["receiver"]["slot_name"], "node_standby_slot");

  auto check = Run({"check"});
  EXPECT_EQ(check.code, 0) << check.output;
  auto parsed = ParseNagios(check.output);
  ASSERT_TRUE(parsed) << check.output;
  EXPECT_EQ(parsed->state, "OK");
  EXPECT_NE(std::find(parsed->labels.begin(), parsed->labels.end(),
                      "primary_node_standby_slot_replay_lag"),
            parsed->labels.end())
      << check.output;

  auto prom = Run({"status", "--output", "prometheus"});
  EXPECT_EQ(prom.code, 0);
  EXPECT_NE(
      prom.output.find("pgreplica_slot_active{node=\"primary\",slot=\"node_standby_slot\"} 1"),
      std::string::npos)
      << prom.output;
  EXPECT_NE(prom.output.find("pgreplica_receiver_streaming{node=\"local\"} 1"), std::string::npos)
      << prom.output;
  EXPECT_NE(prom.output.find("# TYPE pgreplica_up gauge"), std::string::npos);
  auto text = Run({"status"});
  EXPECT_NE(text.output.find("WAL receiver: streaming"), std::string::npos) << text.output;
}

TEST_F(MonitorTest, InactiveSlotWarns) {
  ASSERT_TRUE(primary_->Sql("SELECT pg_create_physical_replication_slot('node_gone_slot', true)"));
  auto check = Run({"check", "--primary-only"});
  EXPECT_EQ(check.code, 1) << check.output;
  auto parsed = ParseNagios(check.output);
  ASSERT_TRUE(parsed) << check.output;
  EXPECT_EQ(parsed->state, "WARNING");
  EXPECT_NE(parsed->text.find("slot node_gone_slot inactive"), std::string::npos);
  EXPECT_EQ(Run({"check", "--primary-only", "--inactive-critical"}).code, 2);
  auto expect = Run({"check", "--primary-only", "--expect", "node_missing_slot"});
  EXPECT_EQ(expect.code, 2) << expect.output;
  EXPECT_NE(expect.output.find("expected standby node_missing_slot is not streaming"),
            std::string::npos);
}

// A pgreplica_copy_* slot that nothing streams through is what an interrupted clone leaves:
// status called it "(clone in progress)" and check said OK without perfdata.
TEST_F(MonitorTest, ALeftoverCopySlotIsNotAClone) {
  ASSERT_TRUE(
      primary_->Sql("SELECT pg_create_physical_replication_slot('pgreplica_copy_0badc0de', true)"));
  auto text = Run({"status", "--primary-only"});
  EXPECT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("(left over from an interrupted clone)"), std::string::npos)
      << text.output;
  EXPECT_EQ(text.output.find("clone in progress"), std::string::npos) << text.output;
  auto check = Run({"check", "--primary-only"});
  EXPECT_EQ(check.code, 1) << check.output;
  auto parsed = ParseNagios(check.output);
  ASSERT_TRUE(parsed) << check.output;
  EXPECT_EQ(parsed->state, "WARNING");
  EXPECT_NE(parsed->text.find("slot pgreplica_copy_0badc0de inactive: left over from an "
                              "interrupted clone"),
            std::string::npos)
      << check.output;
  EXPECT_NE(std::find(parsed->labels.begin(), parsed->labels.end(),
                      "primary_pgreplica_copy_0badc0de_retained"),
            parsed->labels.end())
      << check.output;
}

// A Salt pillar without the primary host rendered host: '': check then said "OK - 0 primary"
// for the streaming standby alone, and the primary's slots were watched no more.
TEST_F(MonitorTest, AConfigurationWithoutAPrimaryIsNotOk) {
  MakeStandby();
  auto check = Run({"check", "--set", "primary.host="});
  EXPECT_EQ(check.code, 3) << check.output;
  EXPECT_EQ(check.output.rfind("PGREPLICA UNKNOWN - configuration names no primary", 0), 0u)
      << check.output;
  auto status = Run({"status", "--set", "primary.host="});
  EXPECT_EQ(status.code, 4) << status.output;
  EXPECT_NE(status.output.find("configuration names no primary"), std::string::npos)
      << status.output;
  // The local standby alone needs no primary.
  auto local = Run({"check", "--set", "primary.host=", "--local-only"});
  EXPECT_EQ(local.code, 0) << local.output;
  auto local_status = Run({"status", "--set", "primary.host=", "--local-only"});
  EXPECT_EQ(local_status.code, 0) << local_status.output;
}

// pg_ctl promote on the local standby: check --local-only said OK.
TEST_F(MonitorTest, APromotedStandbyIsCritical) {
  MakeStandby();
  auto promote = standby_->RunTool({"pg_ctl", "promote", "-D", data_, "-w", "-t", "60"});
  ASSERT_TRUE(promote) << promote.error().message;
  ASSERT_TRUE(promote->status.ok()) << promote->output;
  ASSERT_TRUE(standby_->WaitFor("SELECT NOT pg_is_in_recovery()", 60));
  auto check = Run({"check", "--local-only"});
  EXPECT_EQ(check.code, 2) << check.output;
  auto parsed = ParseNagios(check.output);
  ASSERT_TRUE(parsed) << check.output;
  EXPECT_EQ(parsed->state, "CRITICAL");
  EXPECT_NE(parsed->text.find("local: not in recovery"), std::string::npos) << check.output;
  EXPECT_NE(parsed->text.find("promoted?"), std::string::npos) << check.output;
  for (const char* label :
       {"local_up", "local_replay_lag_seconds", "local_replay_behind", "local_receiver_silence"})
    EXPECT_NE(std::find(parsed->labels.begin(), parsed->labels.end(), label), parsed->labels.end())
        << label << ": " << check.output;
  auto status = Run({"status", "--local-only"});
  EXPECT_NE(status.output.find("NOT IN RECOVERY"), std::string::npos) << status.output;
}

TEST_F(MonitorTest, LostSlotIsCritical) {
  ASSERT_TRUE(primary_->Sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'"));
  ASSERT_TRUE(primary_->Sql("ALTER SYSTEM SET wal_keep_size = 0"));
  ASSERT_TRUE(primary_->Sql("SELECT pg_reload_conf()"));
  ASSERT_TRUE(primary_->Sql("SELECT pg_create_physical_replication_slot('node_lost_slot', true)"));
  ASSERT_TRUE(primary_->Sql("CREATE TABLE filler(v text)"));
  bool lost = false;
  for (int i = 0; i < 30 && !lost; ++i) {
    ASSERT_TRUE(
        primary_->Sql("INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 5000)"));
    ASSERT_TRUE(primary_->Sql("SELECT pg_switch_wal()"));
    ASSERT_TRUE(primary_->Sql("CHECKPOINT"));
    lost = primary_
               ->Scalar(
                   "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'node_lost_slot'")
               .value_or("") == "lost";
  }
  ASSERT_TRUE(lost) << "could not make the slot lose its WAL";
  auto check = Run({"check", "--primary-only"});
  EXPECT_EQ(check.code, 2) << check.output;
  EXPECT_NE(check.output.find("slot node_lost_slot lost its WAL"), std::string::npos)
      << check.output;
  auto prom = Run({"status", "--primary-only", "--output", "prometheus"});
  EXPECT_NE(prom.output.find("wal_status=\"lost\""), std::string::npos) << prom.output;
}

TEST_F(MonitorTest, IdlePrimaryIsNoLag) {
  MakeStandby();
  // Longer idle than the thresholds: a naive now() - pg_last_xact_replay_timestamp() would alarm.
  ASSERT_TRUE(primary_->Sql("CREATE TABLE t(v int)"));
  ASSERT_TRUE(standby_->WaitFor("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 't')"));
  // Idle until the naive figure is past the critical threshold (3 s) with a margin.
  ASSERT_TRUE(standby_->WaitFor(
      "SELECT now() - pg_last_xact_replay_timestamp() > interval '4 seconds'", 60))
      << "the primary did not stay idle: something else commits";
  auto check = Run({"check", "--local-only", "--lag-warn-seconds", "2", "--lag-crit-seconds", "3"});
  EXPECT_EQ(check.code, 0) << check.output;
  auto status = Run({"status", "--local-only", "--output", "json"});
  EXPECT_EQ(status.Json()["nodes"][0]["receiver"]["replay_lag_seconds"], 0.0) << status.output;
}

TEST_F(MonitorTest, StandbyOfAStoppedPrimaryIsNotOk) {
  MakeStandby();
  ASSERT_TRUE(primary_->Stop());
  ASSERT_TRUE(standby_->WaitFor(
      "SELECT coalesce((SELECT status <> 'streaming' FROM pg_stat_wal_receiver), true)"));
  auto check = Run({"check", "--local-only"});
  EXPECT_EQ(check.code, 2) << check.output;
  auto parsed = ParseNagios(check.output);
  ASSERT_TRUE(parsed) << check.output;
  EXPECT_EQ(parsed->state, "CRITICAL");
  auto status = Run({"status", "--local-only", "--output", "json"});
  EXPECT_TRUE(status.Json()["nodes"][0]["receiver"]["replay_lag_seconds"].is_null())
      << status.output;
  auto both = Run({"check"});
  EXPECT_EQ(both.code, 2) << both.output;  // CRITICAL outranks the unreachable primary's UNKNOWN
}

TEST_F(MonitorTest, BaseBackupInProgressIsNotALaggingStandby) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  std::string target = ws_.MakeDir("bb") + "/copy";
  auto bb =
      proc::Child::Start({.argv = {TestEnv::Get().bindir + "/pg_basebackup", "-D", target, "-X",
                                   "stream", "--max-rate=2M", "-h", "127.0.0.1", "-p",
                                   std::to_string(primary_->port()), "-U", "replicator", "-w"},
                          .env = {{"PGPASSFILE", cfg_.pgpass_file}},
                          .run_as = TestEnv::Get().os_user,
                          .die_with_parent = true});
  ASSERT_TRUE(bb);
  ASSERT_TRUE(primary_->WaitFor("SELECT count(*) > 0 FROM pg_stat_progress_basebackup"));
  auto status = Run({"status", "--primary-only", "--output", "json"});
  auto j = status.Json();
  ASSERT_GE(j["nodes"][0]["walsenders"].size(), 1u) << status.output;
  for (const auto& w : j["nodes"][0]["walsenders"])
    EXPECT_EQ(w["base_backup"], true) << status.output;
  auto check = Run({"check", "--primary-only", "--lag-warn-mb", "0", "--lag-warn-seconds", "0"});
  EXPECT_EQ(check.code, 0) << check.output;
  auto text = Run({"status", "--primary-only"});
  EXPECT_NE(text.output.find("base backups in progress"), std::string::npos) << text.output;
}

TEST_F(MonitorTest, InventoryWithDeadNodesIsBoundedByTheTimeout) {
  // A closed port, and a listener that never answers (a blackhole).
  int closed = FreePort();
  int silent_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(silent_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(silent_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ASSERT_EQ(listen(silent_fd, 16), 0);
  int silent = ntohs(addr.sin_port);
  std::string inventory = ws_.WriteFile(
      "inventory.yaml",
      fmt::format("defaults:\n  user: postgres\n  passfile: {}\n  timeout: 3\nnodes:\n"
                  "  - {{name: good, host: 127.0.0.1, port: {}}}\n"
                  "  - {{name: closed, host: 127.0.0.1, port: {}}}\n"
                  "  - {{name: silent1, host: 127.0.0.1, port: {}}}\n"
                  "  - {{name: silent2, host: 127.0.0.1, port: {}}}\n"
                  "  - {{name: byname, host: localhost, port: {}}}\n"
                  "  - {{name: nodns, host: no-such-host.invalid, port: {}}}\n",
                  primary_->admin_passfile(), primary_->port(), closed, silent, silent,
                  primary_->port(), primary_->port()));
  auto start = std::chrono::steady_clock::now();
  auto r = Run({"status", "--inventory", inventory, "--output", "json"});
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  close(silent_fd);
  EXPECT_EQ(r.code, 7) << r.output;
  auto j = r.Json();
  ASSERT_EQ(j["nodes"].size(), 6u) << r.output;
  EXPECT_EQ(j["nodes"][0]["reachable"], true);
  EXPECT_EQ(j["nodes"][0]["role"], "primary");
  EXPECT_EQ(j["nodes"][1]["reachable"], false);
  EXPECT_NE(j["nodes"][1]["error"].get<std::string>().find("could not connect"), std::string::npos);
  EXPECT_NE(j["nodes"][2]["error"].get<std::string>().find("timed out"), std::string::npos)
      << r.output;
  EXPECT_NE(j["nodes"][3]["error"].get<std::string>().find("timed out"), std::string::npos)
      << r.output;
  // A host name is resolved (on its own thread) and every address is tried: "localhost" may
  // resolve to ::1 first while the server listens on 127.0.0.1 only.
  EXPECT_EQ(j["nodes"][4]["reachable"], true) << r.output;
  EXPECT_EQ(j["nodes"][4]["host"], "localhost");
  EXPECT_EQ(j["nodes"][5]["reachable"], false);
  EXPECT_NE(j["nodes"][5]["error"].get<std::string>().find("no-such-host.invalid"),
            std::string::npos)
      << r.output;
  // Concurrent: two 3 s timeouts in parallel, not 6 s in a row.
  EXPECT_LT(wall, 5.5) << "the silent nodes were waited for one after the other";
  auto check = Run({"check", "--inventory", inventory});
  EXPECT_EQ(check.code, 3) << check.output;
  auto bad = ws_.WriteFile("bad.yaml", "nodes:\n  - {name: x, hots: y}\n");
  auto invalid = Run({"status", "--inventory", bad});
  EXPECT_EQ(invalid.code, 4) << invalid.output;
  EXPECT_NE(invalid.output.find("line 2"), std::string::npos) << invalid.output;
}

TEST_F(MonitorTest, DecommissionRefusesActiveForcesAndIsIdempotent) {
  MakeStandby();
  auto refused = Run({"decommission", "--slot", "node_standby_slot"});
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("slot \"node_standby_slot\" is active"), std::string::npos)
      << refused.output;
  auto dry = Run(
      {"decommission", "--slot", "node_standby_slot", "--force", "--dry-run", "--output", "json"});
  EXPECT_EQ(dry.code, 0) << dry.output;
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or(""), "1")
      << "dry run dropped it";
  auto forced = Run({"decommission", "--slot", "node_standby_slot", "--force", "--output", "json"});
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_EQ(forced.Json()["slot_dropped"], true);
  EXPECT_TRUE(forced.Json()["released_bytes"].is_number());
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or(""), "0");
  auto again = Run({"decommission", "--slot", "node_standby_slot"});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
}

TEST_F(MonitorTest, DecommissionStopAndRemoveData) {
  MakeStandby();
  auto r = Run({"decommission", "--slot", "node_standby_slot", "--stop", "--remove-data",
                "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  auto j = r.Json();
  EXPECT_EQ(j["stopped"], true);
  EXPECT_EQ(j["slot_dropped"], true);
  EXPECT_EQ(j["slot_was_active"], false) << "the standby is stopped before its slot is dropped";
  EXPECT_FALSE(std::filesystem::exists(data_));
  EXPECT_TRUE(std::filesystem::exists(j["data_moved_to"].get<std::string>()));
  auto usage = Run({"decommission", "--remove-data"});
  EXPECT_EQ(usage.code, 2) << usage.output;
}

// A service that does not stop the standby: nothing is moved and the slot stays.
TEST_F(MonitorTest, DecommissionNeverRemovesTheDataOfARunningServer) {
  MakeStandby();
  auto started = standby_->Scalar("SELECT pg_postmaster_start_time()");
  ASSERT_TRUE(started);
  for (const char* status : {"exit 0", "exit 3"}) {
    SCOPED_TRACE(status);
    cfg_ = WriteConfig(ws_, *primary_,
                       fmt::format("  data_directory: {}\n  port: {}\n  service:\n    type: "
                                   "custom\n    start: ['true']\n    stop: ['true']\n"
                                   "    status: [sh, -c, '{}']\n",
                                   data_, port_, status));
    auto r = Run({"decommission", "--slot", "node_standby_slot", "--stop", "--remove-data"});
    EXPECT_EQ(r.code, 11) << r.output;
    EXPECT_NE(r.output.find("the local standby still runs"), std::string::npos) << r.output;
    EXPECT_TRUE(std::filesystem::exists(data_ + "/PG_VERSION")) << "the data stays in place";
    EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or(""), "1");
    EXPECT_EQ(standby_->Scalar("SELECT pg_postmaster_start_time()").value_or(""), *started);
  }
}

TEST_F(MonitorTest, DecommissionByNodeName) {
  ASSERT_TRUE(
      primary_->Sql("SELECT pg_create_physical_replication_slot('node_replica_01_slot', true)"));
  auto r = Run({"decommission", "--node", "replica-01.example.com"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or(""), "0");
}

}  // namespace
}  // namespace pgreplica::testing
