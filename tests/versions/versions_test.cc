// The version matrix: pgreplica's primary and monitoring commands against primaries of
// PostgreSQL 13, 14, 16, 17 and 18 with a streaming standby, the clone from primaries older
// than the local client programs (13, 14), and the preflight's version rule. The server
// programs of versions other than Debian's 15 come from scripts/fetch-postgres;
// PGREPLICA_TEST_VERSIONS ("13 18", or "all") selects the versions that run, by default every
// fetched one. A version not selected or not fetched is skipped, saying why.

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/cluster.h"

namespace pgreplica::testing {
namespace {

const std::vector<int> kMajors = {13, 14, 16, 17, 18};

bool Selected(int major) {
  const char* list = std::getenv("PGREPLICA_TEST_VERSIONS");
  if (list == nullptr || *list == '\0' || std::string(list) == "all") return true;
  std::string s(list);
  for (char& c : s)
    if (c == ',') c = ' ';
  std::istringstream in(s);
  std::string word;
  while (in >> word)
    if (word == std::to_string(major)) return true;
  return false;
}

// The server programs of `major`, or why the test is skipped.
std::optional<std::string> BindirOrWhy(int major, std::string& why) {
  if (!Selected(major)) {
    why = fmt::format("PostgreSQL {} is not in PGREPLICA_TEST_VERSIONS=\"{}\"", major,
                      std::getenv("PGREPLICA_TEST_VERSIONS"));
    return std::nullopt;
  }
  auto dir = ServerBindir(major);
  if (!dir)
    why = fmt::format(
        "the PostgreSQL {0} server programs are not in /usr/lib/postgresql/{0}/bin nor in {1}: "
        "run scripts/fetch-postgres {0} (PGREPLICA_PG_CACHE moves its cache)",
        major, FetchedBindir(major));
  return dir;
}

#define BINDIR_OR_SKIP(var, major)          \
  std::string why_##var;                    \
  auto var = BindirOrWhy(major, why_##var); \
  if (!var) GTEST_SKIP() << why_##var;

std::string StatusOf(const nlohmann::json& report, const std::string& name) {
  for (const auto& c : report["checks"])
    if (c["name"] == name) return c["status"];
  return "absent";
}

const nlohmann::json* SlotNamed(const nlohmann::json& node, const std::string& name) {
  for (const auto& s : node["slots"])
    if (s["name"] == name) return &s;
  return nullptr;
}

class Versions : public ::testing::TestWithParam<int> {
 protected:
  CliResult Run(const TestConfig& cfg, std::vector<std::string> args) {
    args.insert(args.begin() + (args[0] == "primary" ? 2 : 1), {"--config", cfg.path});
    return RunPgreplica(ws_, args);
  }
  Workspace ws_;
};

// primary check/setup, status, check and decommission against a primary of each version with a
// streaming standby of the same version; the slot columns that PostgreSQL 17 added.
TEST_P(Versions, MonitorAndPrimaryCommands) {
  const int major = GetParam();
  BINDIR_OR_SKIP(bindir, major);
  auto p = Cluster::Create(ws_, {.bindir = *bindir});
  ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
  auto& primary = **p;
  auto standby = primary.CreateStandbyByCopy(ws_, "standby", "node_standby_slot");
  ASSERT_TRUE(standby) << standby.error().message << "\n" << standby.error().detail;
  auto cfg = WriteConfig(ws_, primary,
                         fmt::format("  data_directory: {}\n  port: {}\n", (*standby)->data_dir(),
                                     (*standby)->port()));
  ASSERT_EQ(Run(cfg, {"pgpass"}).code, 0);

  auto pcheck = Run(cfg, {"primary", "check", "--output", "json"});
  EXPECT_EQ(pcheck.code, 0) << pcheck.output;
  for (const char* name : {"server_version", "wal_level", "max_wal_senders",
                           "max_replication_slots", "replication_role", "replication_connection"})
    EXPECT_EQ(StatusOf(pcheck.Json(), name), "ok") << name << "\n" << pcheck.output;
  auto setup = Run(cfg, {"primary", "setup", "--allowed-address", "127.0.0.1/32"});
  EXPECT_EQ(setup.code, 0) << setup.output;

  auto status = Run(cfg, {"status", "--output", "json"});
  ASSERT_EQ(status.code, 0) << status.output;
  auto j = status.Json();
  ASSERT_EQ(j["nodes"].size(), 2u) << status.output;
  const auto& pn = j["nodes"][0];
  EXPECT_EQ(pn["role"], "primary");
  EXPECT_EQ(pn["server_version"].get<int>() / 10000, major) << status.output;
  const auto* slot = SlotNamed(pn, "node_standby_slot");
  ASSERT_TRUE(slot) << status.output;
  EXPECT_EQ((*slot)["active"], true);
  EXPECT_EQ((*slot)["wal_status"], "reserved");
  EXPECT_TRUE((*slot)["retained_bytes"].is_number());
  EXPECT_TRUE((*slot)["invalidation_reason"].is_null());
  EXPECT_TRUE((*slot)["inactive_since"].is_null()) << "an active slot is not inactive";
  ASSERT_EQ(pn["walsenders"].size(), 1u) << status.output;
  EXPECT_EQ(pn["walsenders"][0]["state"], "streaming");
  EXPECT_EQ(pn["walsenders"][0]["application_name"], "standby");
  EXPECT_TRUE(pn["walsenders"][0]["replay_lag_bytes"].is_number());
  const auto& sn = j["nodes"][1];
  EXPECT_EQ(sn["role"], "standby");
  EXPECT_EQ(sn["server_version"].get<int>() / 10000, major);
  EXPECT_EQ(sn["receiver"]["status"], "streaming");
  EXPECT_EQ(sn["receiver"]["slot_name"], "node_standby_slot");
  EXPECT_EQ(sn["receiver"]["sender_port"], primary.port());
  EXPECT_TRUE(sn["receiver"]["last_message_age_seconds"].is_number()) << status.output;
  auto check = Run(cfg, {"check"});
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_EQ(check.output.rfind("PGREPLICA OK - ", 0), 0u) << check.output;
  auto prom = Run(cfg, {"status", "--output", "prometheus"});
  EXPECT_EQ(prom.code, 0) << prom.output;
  EXPECT_NE(prom.output.find("pgreplica_receiver_streaming{node=\"local\"} 1"), std::string::npos)
      << prom.output;

  // An inactive slot that loses its WAL: wal_status "lost" on every version; PostgreSQL 17 also
  // says why and since when.
  ASSERT_TRUE(primary.Sql("SELECT pg_create_physical_replication_slot('node_gone_slot', true)"));
  auto warn = Run(cfg, {"check", "--primary-only"});
  EXPECT_EQ(warn.code, 1) << warn.output;
  EXPECT_NE(warn.output.find("slot node_gone_slot inactive"), std::string::npos) << warn.output;
  auto text = Run(cfg, {"status", "--primary-only"});
  EXPECT_EQ(text.code, 0) << text.output;
  EXPECT_EQ(text.output.find("inactive for") != std::string::npos, major >= 17) << text.output;
  ASSERT_TRUE(primary.Sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'"));
  ASSERT_TRUE(primary.Sql("SELECT pg_reload_conf()"));
  const std::string wal_status =
      "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'node_gone_slot'";
  for (int i = 0; i < 10 && primary.Scalar(wal_status).value_or("") != "lost"; ++i) {
    ASSERT_TRUE(primary.Sql(
        fmt::format("CREATE TABLE filler{} AS SELECT g FROM generate_series(1, 50000) g", i)));
    ASSERT_TRUE(primary.Sql("SELECT pg_switch_wal()"));
    ASSERT_TRUE(primary.Sql("CHECKPOINT"));
  }
  ASSERT_EQ(primary.Scalar(wal_status).value_or("?"), "lost");
  auto lost = Run(cfg, {"status", "--primary-only", "--output", "json"});
  ASSERT_EQ(lost.code, 0) << lost.output;
  const auto lj = lost.Json();
  const auto* gone = SlotNamed(lj["nodes"][0], "node_gone_slot");
  ASSERT_TRUE(gone) << lost.output;
  EXPECT_EQ((*gone)["wal_status"], "lost");
  if (major >= 17) {
    EXPECT_EQ((*gone)["invalidation_reason"], "wal_removed") << lost.output;
    EXPECT_TRUE((*gone)["inactive_since"].is_string()) << lost.output;
    EXPECT_GE((*gone)["inactive_seconds"].get<double>(), 0) << lost.output;
  } else {
    EXPECT_TRUE((*gone)["invalidation_reason"].is_null()) << lost.output;
    EXPECT_TRUE((*gone)["inactive_since"].is_null()) << lost.output;
  }
  auto lost_text = Run(cfg, {"status", "--primary-only"});
  EXPECT_EQ(lost_text.output.find("invalidated: wal_removed") != std::string::npos, major >= 17)
      << lost_text.output;
  auto critical = Run(cfg, {"check", "--primary-only"});
  EXPECT_EQ(critical.code, 2) << critical.output;
  EXPECT_NE(critical.output.find("slot node_gone_slot lost its WAL"), std::string::npos)
      << critical.output;
  EXPECT_EQ(
      critical.output.find("node_gone_slot is invalidated (wal_removed)") != std::string::npos,
      major >= 17)
      << critical.output;

  auto refused = Run(cfg, {"decommission", "--slot", "node_standby_slot"});
  EXPECT_EQ(refused.code, 1) << refused.output;
  auto forced =
      Run(cfg, {"decommission", "--slot", "node_standby_slot", "--force", "--output", "json"});
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_EQ(forced.Json()["slot_dropped"], true) << forced.output;
  auto dropped = Run(cfg, {"decommission", "--slot", "node_gone_slot", "--output", "json"});
  EXPECT_EQ(dropped.code, 0) << dropped.output;
  EXPECT_EQ(primary.Scalar("SELECT count(*) FROM pg_replication_slots").value_or(""), "0");
}

INSTANTIATE_TEST_SUITE_P(Major, Versions, ::testing::ValuesIn(kMajors),
                         [](const auto& info) { return "PG" + std::to_string(info.param); });

// The clone from a primary older than the local client programs: Debian's pg_basebackup and
// pg_verifybackup (15) copy and check it, the primary's own server programs start the standby,
// and the verify step says that the WAL was not checked.
class CloneFromOlder : public Versions {};

TEST_P(CloneFromOlder, CopiesVerifiesWithoutWalAndStreams) {
  const int major = GetParam();
  BINDIR_OR_SKIP(bindir, major);
  auto p = Cluster::Create(ws_, {.bindir = *bindir});
  ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
  auto& primary = **p;
  ASSERT_TRUE(primary.PgbenchInit(1));
  ws_.MakeDir("standby");
  std::string data = ws_.path() + "/standby/data";
  int port = FreePort();
  auto cfg = WriteConfig(
      ws_, primary,
      fmt::format("  data_directory: {}\n  port: {}\nclone:\n  confirm_timeout: 60\n", data, port));
  auto standby = Cluster::Adopt(ws_, "standby", data, port, *bindir);
  ASSERT_EQ(Run(cfg, {"pgpass"}).code, 0);

  auto r = Run(cfg, {"clone", "--slot", "node_standby_slot", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = r.Json();
  EXPECT_EQ(j["plan"]["bindir"], *bindir) << r.output;
  EXPECT_EQ(j["plan"]["client_bindir"], TestEnv::Get().bindir) << r.output;
  EXPECT_EQ(j["plan"]["pg_basebackup"][0], TestEnv::Get().bindir + "/pg_basebackup");
  EXPECT_EQ(StatusOf(j["preflight"], "local_programs"), "ok") << r.output;
  std::string verify;
  for (const auto& s : j["steps"])
    if (s["name"] == "verify") verify = s["message"];
  EXPECT_NE(verify.find("its WAL was not checked"), std::string::npos) << r.output;
  EXPECT_NE(verify.find(fmt::format("the primary runs PostgreSQL {}", major)), std::string::npos)
      << verify;
  // clone.compress auto: 13 and 14 cannot compress on the server; the copy step says so.
  std::string copy;
  for (const auto& s : j["steps"])
    if (s["name"] == "copy") copy = s["message"];
  EXPECT_NE(copy.find(fmt::format("uncompressed (clone.compress auto: PostgreSQL {} cannot "
                                  "compress a base backup on the server; 15 and later can)",
                                  major)),
            std::string::npos)
      << copy;
  EXPECT_EQ(j["plan"]["compress"], "none");
  // An explicit server-side method is refused before anything changes.
  auto zstd =
      Run(cfg, {"clone", "--slot", "node_standby_slot", "--dry-run", "--compress", "server-zstd"});
  EXPECT_EQ(zstd.code, 1) << zstd.output;
  EXPECT_NE(zstd.output.find("the primary cannot compress the copy with \"server-zstd\""),
            std::string::npos)
      << zstd.output;

  // The standby runs the primary's server programs and streams.
  EXPECT_TRUE(standby->WaitFor(
      "SELECT pg_is_in_recovery() AND (SELECT status = 'streaming' FROM pg_stat_wal_receiver)"));
  EXPECT_EQ(
      standby->Scalar("SELECT current_setting('server_version_num')::int / 10000").value_or(""),
      std::to_string(major));
  EXPECT_EQ(standby->Scalar("SELECT count(*) FROM pgbench_accounts").value_or(""), "100000");
  // pg_basebackup 15 writes sslsni=1 into primary_conninfo, which 13's libpq refuses.
  EXPECT_EQ(
      standby->Scalar("SELECT current_setting('primary_conninfo') LIKE '%sslsni=%'").value_or(""),
      major >= 14 ? "t" : "f");
  auto check = Run(cfg, {"check"});
  EXPECT_EQ(check.code, 0) << check.output;
  // doctor applies the same rule: the client programs from client_bindir, newer, are fine.
  auto doctor = Run(cfg, {"doctor", "--output", "json"});
  auto dj = doctor.Json();
  for (const char* name : {"pg_ctl", "postgres", "pg_basebackup", "pg_verifybackup"})
    EXPECT_EQ(StatusOf(dj, name), "ok") << name << "\n" << doctor.output;
  EXPECT_EQ(StatusOf(dj, "client_bindir"), "ok") << doctor.output;
  EXPECT_EQ(StatusOf(dj, "program_versions"), "absent") << doctor.output;

  // The text output says it too.
  auto again = Run(cfg, {"clone", "--slot", "node_standby_slot", "--force"});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("its WAL was not checked"), std::string::npos) << again.output;
}

INSTANTIATE_TEST_SUITE_P(Major, CloneFromOlder, ::testing::Values(13, 14),
                         [](const auto& info) { return "PG" + std::to_string(info.param); });

// The preflight's version rule, against the newest fetched primary: the local server programs
// must be of its major version, pg_basebackup and pg_verifybackup must not be older.
TEST_F(Versions, PreflightRefusesProgramsOfTheWrongVersion) {
  int major = 0;
  std::optional<std::string> bindir;
  std::string why;
  for (int m : {18, 17, 16}) {
    if ((bindir = BindirOrWhy(m, why))) {
      major = m;
      break;
    }
  }
  if (!bindir) GTEST_SKIP() << why;
  auto p = Cluster::Create(ws_, {.bindir = *bindir});
  ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
  ws_.MakeDir("standby");
  auto cfg = WriteConfig(
      ws_, **p,
      fmt::format("  data_directory: {}/standby/data\n  port: {}\n", ws_.path(), FreePort()));
  ASSERT_EQ(Run(cfg, {"pgpass"}).code, 0);
  const std::string debian = TestEnv::Get().bindir;
  const int debian_major = TestEnv::Get().major;

  // Debian's server programs for a newer primary.
  auto server = Run(cfg, {"clone", "--dry-run", "--bindir", debian, "--output", "json"});
  EXPECT_NE(server.code, 0) << server.output;
  std::string message, fix;
  const auto sj = server.Json();
  for (const auto& c : sj["preflight"]["checks"]) {
    if (c["name"] == "local_programs") {
      EXPECT_EQ(c["status"], "fail") << server.output;
      message = c.value("message", "");
      fix = c.value("fix", "");
    }
  }
  EXPECT_EQ(message,
            fmt::format("local pg_ctl is PostgreSQL {}, but the primary runs PostgreSQL {}",
                        debian_major, major))
      << server.output;
  EXPECT_NE(fix.find("must be of the primary's major version exactly"), std::string::npos) << fix;
  EXPECT_NE(fix.find("set local.bindir"), std::string::npos) << fix;

  // The primary's server programs, but pg_basebackup older than the primary.
  auto client = Run(cfg, {"clone", "--dry-run"});
  EXPECT_NE(client.code, 0) << client.output;
  EXPECT_NE(client.output.find(fmt::format(
                "local pg_basebackup is PostgreSQL {}, older than the primary's PostgreSQL {}",
                debian_major, major)),
            std::string::npos)
      << client.output;
  EXPECT_NE(client.output.find("local.client_bindir"), std::string::npos) << client.output;
  EXPECT_FALSE(std::filesystem::exists(ws_.path() + "/standby/data.pgreplica-staging"));
}

}  // namespace
}  // namespace pgreplica::testing
