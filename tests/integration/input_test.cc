// Issue 11 against real clusters: server messages kept whole, commands that
// cannot do silent damage, monitoring output that stays one parseable line.

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "pg/connection.h"
#include "primary/slot.h"
#include "proc/child.h"
#include "support/cli.h"
#include "support/cluster.h"
#include "support/root_config.h"

namespace pgreplica::testing {
namespace {

class InputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Cluster::Create(ws_, {});
    ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
    primary_ = std::move(*p);
  }
  Workspace ws_;
  std::unique_ptr<Cluster> primary_;
};

TEST_F(InputTest, QueryErrorsKeepTheServersDetailAndHint) {
  auto conn = primary_->Connect();
  ASSERT_TRUE(conn) << conn.error().message;
  auto r = conn->Exec(
      "DO $$ BEGIN RAISE EXCEPTION 'no luck' USING DETAIL = 'The detail from the server.', "
      "HINT = 'The hint from the server.', ERRCODE = '55000'; END $$");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no luck"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().detail.rfind("The detail from the server.", 0), 0u) << r.error().detail;
  EXPECT_NE(r.error().detail.find("SQLSTATE 55000"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().hint, "The hint from the server.");
  // A real one: a role that owns objects cannot be dropped, and the server says which.
  ASSERT_TRUE(primary_->Sql("CREATE ROLE owner_role"));
  ASSERT_TRUE(primary_->Sql("CREATE TABLE owned(v int)"));
  ASSERT_TRUE(primary_->Sql("ALTER TABLE owned OWNER TO owner_role"));
  auto drop = conn->Exec("DROP ROLE owner_role");
  ASSERT_FALSE(drop);
  EXPECT_NE(drop.error().detail.find("owner of table owned"), std::string::npos)
      << drop.error().detail;
}

// Each of these once dropped a slot: nonsense names became node_host_slot, node_a_b_slot or
// this host's own slot, and a --slot next to --node was ignored.
TEST_F(InputTest, DecommissionNeverGuessesWhichReplicaToRetire) {
  std::string own = replica::DefaultSlotName(replica::ShortHostname());
  for (const std::string& slot : {std::string("node_host_slot"), std::string("node_a_b_slot"),
                                  std::string("node_a_slot"), std::string("node_b_slot"), own}) {
    ASSERT_TRUE(primary_->Sql("SELECT pg_create_physical_replication_slot($1, true)", {slot}));
  }
  auto cfg = WriteConfig(ws_, *primary_);
  auto count = [&] {
    return primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or("?");
  };
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--node", ""},
           {"--node", "."},
           {"--node", "..."},
           {"--node", "../../x"},
           {"--node", "a b"},
           {"--node", "a", "--slot", "node_b_slot"},
           {"--node", "a", "--set", "replication.slot=node_b_slot"},
           {"--slot", ""},
           {"--set", "replication.slot="}}) {
    args.insert(args.begin(), {"decommission", "--config", cfg.path});
    auto r = RunPgreplica(ws_, args);
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.output;
    EXPECT_EQ(r.output.rfind("pgreplica: error: ", 0), 0u) << r.output;
    EXPECT_EQ(count(), "5") << "a slot was dropped by: " << args[3] << " " << args.back();
  }
  // What the user names is what goes, and only that.
  auto r = RunPgreplica(ws_, {"decommission", "--config", cfg.path, "--node", "a.example.com"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(count(), "4");
  EXPECT_EQ(primary_
                ->Scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = "
                         "'node_a_slot'")
                .value_or("?"),
            "0");
}

// check when the primary is down: one line (libpq's message has a second one), UNKNOWN, and
// performance data all the same.
TEST_F(InputTest, CheckOfADownPrimaryIsOneLineWithPerfdata) {
  auto cfg = WriteConfig(ws_, *primary_);
  ASSERT_TRUE(primary_->Stop());
  auto r = RunPgreplica(ws_, {"check", "--config", cfg.path, "--primary-only"});
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_EQ(r.output.rfind("PGREPLICA UNKNOWN - primary: could not connect", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_TRUE(r.output.ends_with(" | primary_up=0\n")) << r.output;
}

// On an idle primary PostgreSQL shows replay_lag as NULL once the standby has caught up; the
// label must still be there, or graphs break.
TEST_F(InputTest, ReplayLagLabelStaysOnAnIdlePrimary) {
  ws_.MakeDir("standby");
  std::string data = ws_.path() + "/standby/data";
  int port = FreePort();
  auto cfg =
      WriteConfig(ws_, *primary_, fmt::format("  data_directory: {}\n  port: {}\n", data, port));
  auto standby = Cluster::Adopt(ws_, "standby", data, port);
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto clone = RunPgreplica(ws_, {"clone", "--config", cfg.path, "--slot", "node_idle_slot"});
  ASSERT_EQ(clone.code, 0) << clone.output;
  ASSERT_TRUE(primary_->WaitFor(
      "SELECT count(*) = 1 AND bool_and(replay_lag IS NULL) FROM pg_stat_replication", 90))
      << "replay_lag never became NULL";
  for (int run = 0; run < 2; ++run) {
    auto r = RunPgreplica(ws_, {"check", "--config", cfg.path, "--primary-only"});
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(" primary_node_idle_slot_replay_lag_seconds=0s;60;300"),
              std::string::npos)
        << r.output;
  }
}

// pgreplica clone ... | head -5: the reader went away, SIGPIPE killed the clone (exit 141) and
// left its staging directory and temporary copy slot behind.
TEST_F(InputTest, CloneWhoseReaderGoesAwayFinishesAndCleansUp) {
  ws_.MakeDir("standby");
  std::string data = ws_.path() + "/standby/data";
  int port = FreePort();
  auto cfg =
      WriteConfig(ws_, *primary_, fmt::format("  data_directory: {}\n  port: {}\n", data, port));
  auto standby = Cluster::Adopt(ws_, "standby", data, port);
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  // The reader (head -c 1) leaves after the first byte of the first line; everything after it
  // is written into a pipe that nobody reads.
  auto r = proc::Run(
      {.argv = {"bash", "-c", "\"$0\" \"$@\" | head -c 1 >/dev/null; echo \"rc=${PIPESTATUS[0]}\"",
                PGREPLICA_BINARY, "clone", "--config", cfg.path, "--slot", "node_piped_slot"},
       .env = {{"NO_COLOR", "1"}}},
      {.timeout = std::chrono::minutes(10)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->output.find("rc=0\n"), std::string::npos) << r->output;
  EXPECT_EQ(primary_
                ->Scalar("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM "
                         "pg_replication_slots")
                .value_or("?"),
            "node_piped_slot");
  EXPECT_FALSE(*StatPath(data + ".pgreplica-staging")) << "the staging directory was left";
  EXPECT_TRUE(standby->WaitFor("SELECT status = 'streaming' FROM pg_stat_wal_receiver", 60));
}

// primary setup replaced an existing role's password after any authentication failure, which
// breaks every other standby that uses the role. Now only with --reset-password.
TEST_F(InputTest, SetupLeavesAnExistingRolesPasswordAlone) {
  ASSERT_TRUE(primary_->Sql("ALTER ROLE replicator PASSWORD 'the other standbys use this'"));
  auto stored = [&] {
    return primary_->Scalar("SELECT rolpassword FROM pg_authid WHERE rolname = 'replicator'")
        .value_or("?");
  };
  std::string before = stored();
  auto cfg = WriteConfig(ws_, *primary_);
  auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(r.Json()["password_mismatch"], true) << r.output;
  EXPECT_EQ(r.Json()["replication_works"], false) << r.output;
  EXPECT_NE(r.output.find("the password does not match"), std::string::npos) << r.output;
  EXPECT_EQ(stored(), before) << "the password was replaced without --reset-password";
  auto text = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path});
  EXPECT_EQ(text.code, 1) << text.output;
  EXPECT_NE(text.output.find("the password does not match the one of role \"replicator\": left "
                             "unchanged; pass --reset-password to replace it"),
            std::string::npos)
      << text.output;

  auto reset = RunPgreplica(
      ws_, {"primary", "setup", "--config", cfg.path, "--reset-password", "--output", "json"});
  EXPECT_EQ(reset.code, 0) << reset.output;
  EXPECT_NE(reset.output.find("set a new SCRAM password"), std::string::npos) << reset.output;
  EXPECT_EQ(reset.Json()["replication_works"], true);
  EXPECT_NE(stored(), before);
  EXPECT_EQ(reset.output.find(Cluster::kReplicationPassword), std::string::npos);
}

// A reject line for the role was counted as "already allowed".
TEST_F(InputTest, SetupDoesNotCountARejectLineAsAllowed) {
  auto hba = primary_->Scalar("SHOW hba_file");
  ASSERT_TRUE(hba);
  auto old = ReadFile(*hba);
  ASSERT_TRUE(old);
  std::string reject = "host replication replicator 127.0.0.1/32 reject\n";
  {
    std::ofstream out(*hba, std::ios::trunc);
    out << reject << *old;
  }
  ASSERT_TRUE(primary_->Sql("SELECT pg_reload_conf()"));
  auto cfg = WriteConfig(ws_, *primary_);
  auto r = RunPgreplica(
      ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address", "127.0.0.1/32"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("pgreplica: error: pg_hba.conf rejects replication connections of "
                          "\"replicator\" from 127.0.0.1/32"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("Line 1 of"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("already allows"), std::string::npos) << r.output;
  EXPECT_EQ(*ReadFile(*hba), reject + *old) << "pg_hba.conf was changed";
}

// A role name with a double quote closed the quotes of the pg_hba.conf line: this one added
// "host replication x 0.0.0.0/0 trust".
TEST_F(InputTest, SetupQuotesAUserNameWithADoubleQuote) {
  auto p = Cluster::Create(ws_, {.name = "nohba", .hba_replication = false});
  ASSERT_TRUE(p) << p.error().message;
  std::string evil = "x\" 0.0.0.0/0 trust #";
  auto cfg = WriteConfig(ws_, **p);
  auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--user", evil,
                              "--allowed-address", "127.0.0.1/32", "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.Json()["replication_works"], true) << r.output;
  EXPECT_EQ((*p)->Scalar("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' "
                         "AND 'replication' = ANY(database)")
                .value_or("?"),
            "0");
  EXPECT_EQ((*p)->Scalar("SELECT string_agg(user_name[1] || ' ' || address, ',') FROM "
                         "pg_hba_file_rules WHERE 'replication' = ANY(database)")
                .value_or("?"),
            evil + " 127.0.0.1");
}

// Custom service commands run as root; a configuration file that the PostgreSQL OS user (or
// anyone but root) can write would let them run anything as root.
TEST_F(InputTest, RootRefusesCustomCommandsFromAConfigOthersCanWrite) {
  if (geteuid() != 0) GTEST_SKIP() << "the refusal is about root";
  ASSERT_TRUE(primary_->Sql("SELECT pg_create_physical_replication_slot('node_keep_slot')"));
  std::string marker = ws_.path() + "/ran-as-root";
  auto trusted = WriteConfig(ws_, *primary_);
  auto text = ReadFile(trusted.path);
  ASSERT_TRUE(text);
  std::string yaml = *text + fmt::format(
                                 "  data_directory: {0}/data\n  service:\n    type: custom\n"
                                 "    start: [touch, {1}]\n    stop: [touch, {1}]\n"
                                 "    status: [touch, {1}]\n",
                                 ws_.path(), marker);
  std::string owned_by_postgres = ws_.WriteFile("writable.yaml", yaml);
  auto r = RunPgreplica(
      ws_, {"decommission", "--config", owned_by_postgres, "--slot", "node_keep_slot", "--stop"});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("refusing to run the custom service commands of \"" + owned_by_postgres +
                          "\" as root"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("belongs to user id " + std::to_string(TestEnv::Get().os_user.uid)),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(*StatPath(marker)) << "a command of that file ran";
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM pg_replication_slots").value_or("?"), "1");
  // The same file as root keeps it: accepted.
  std::string root_owned = WriteConfigFile(ws_, "root.yaml", yaml);
  auto ok = RunPgreplica(ws_, {"decommission", "--config", root_owned, "--slot", "node_keep_slot",
                               "--stop", "--dry-run"});
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_TRUE(*StatPath(marker)) << "the status command of a root-owned file runs";
}

}  // namespace
}  // namespace pgreplica::testing
