// primary check, primary setup and pgpass against real clusters.

#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include <gtest/gtest.h>

#include "conf/pgpass.h"
#include "support/cli.h"
#include "support/cluster.h"

namespace pgreplica::testing {
namespace {

std::string StatusOf(const nlohmann::json& report, const std::string& name) {
  for (const auto& c : report["checks"])
    if (c["name"] == name) return c["status"];
  return "absent";
}

class PrimaryTest : public ::testing::Test {
 protected:
  Workspace ws_;
};

TEST_F(PrimaryTest, CheckPassesOnAPreparedCluster) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message << "\n" << primary.error().detail;
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  auto j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["ok"], true);
  for (const char* name :
       {"server_version", "wal_level", "max_wal_senders", "max_replication_slots",
        "replication_role", "replication_connection", "hot_standby"})
    EXPECT_EQ(StatusOf(j, name), "ok") << name << "\n" << r.output;
  // Unbounded max_slot_wal_keep_size (the default) is a warning, not a failure.
  EXPECT_EQ(StatusOf(j, "max_slot_wal_keep_size"), "warning");
  auto text = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.output.find("0 failed"), std::string::npos) << text.output;
}

TEST_F(PrimaryTest, CheckNamesEachFailureOfAnUnpreparedCluster) {
  auto primary = Cluster::Create(ws_, {.replication_role = false,
                                       .hba_replication = false,
                                       .settings = {"wal_level = minimal", "max_wal_senders = 0"}});
  ASSERT_TRUE(primary) << primary.error().message << "\n" << primary.error().detail;
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  auto j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["ok"], false);
  for (const char* name :
       {"wal_level", "max_wal_senders", "replication_role", "replication_connection"})
    EXPECT_EQ(StatusOf(j, name), "fail") << name << "\n" << r.output;
  EXPECT_EQ(StatusOf(j, "max_replication_slots"), "ok");
  // Each failure says how to fix it.
  for (const auto& c : j["checks"]) {
    if (c["status"] == "fail") {
      EXPECT_TRUE(c.contains("fix")) << c.dump();
    }
  }
}

TEST_F(PrimaryTest, CheckFailsOnAWrongPassword) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  std::string wrong = ws_.WriteFile("wrong.secret", "not-the-password\n");
  auto r = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--password-file", wrong,
                              "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  auto j = r.Json();
  EXPECT_EQ(StatusOf(j, "replication_connection"), "fail") << r.output;
  EXPECT_NE(r.output.find("authentication"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("not-the-password"), std::string::npos) << "password printed";
}

TEST_F(PrimaryTest, CheckFailsWithoutAReplicationLineInPgHba) {
  auto primary = Cluster::Create(ws_, {.hba_replication = false});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(StatusOf(r.Json(), "replication_connection"), "fail") << r.output;
  EXPECT_NE(r.output.find("pg_hba.conf"), std::string::npos) << r.output;
}

TEST_F(PrimaryTest, CheckWithAWrongAdminPasswordIsAnAuthError) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  std::string bad_passfile = ws_.WriteFile("bad.pgpass", "*:*:*:postgres:wrong\n");
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(
      ws_, {"primary", "check", "--config", cfg.path, "--admin-passfile", bad_passfile});
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_EQ(r.output.rfind("pgreplica: error: could not connect to primary \"127.0.0.1\"", 0), 0u)
      << r.output;
}

// A database that does not exist was an authentication error (exit 8) with a password hint;
// a password file that does not exist got a hint about ~/.pgpass.
TEST_F(PrimaryTest, AMissingDatabaseOrPasswordFileIsNamed) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  auto db = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--dbname", "nosuchdb"});
  EXPECT_EQ(db.code, 7) << db.output;
  EXPECT_NE(db.output.find("database \"nosuchdb\" does not exist"), std::string::npos) << db.output;
  EXPECT_NE(db.output.find(
                "pgreplica: hint: The database \"nosuchdb\" does not exist on that server. Set "
                "primary.dbname (--dbname)"),
            std::string::npos)
      << db.output;
  EXPECT_EQ(db.output.find("3D000"), std::string::npos) << "the default message: " << db.output;
  auto pass = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--admin-passfile",
                                 "/nonexistent/admin.pgpass"});
  EXPECT_EQ(pass.code, 8) << pass.output;
  EXPECT_NE(
      pass.output.find("pgreplica: hint: The password file \"/nonexistent/admin.pgpass\" given for "
                       "this connection does not exist."),
      std::string::npos)
      << pass.output;
  // Still an authentication error when the password is wrong.
  std::string bad = ws_.WriteFile("bad2.pgpass", "*:*:*:postgres:wrong\n");
  auto wrong =
      RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--admin-passfile", bad});
  EXPECT_EQ(wrong.code, 8) << wrong.output;
  EXPECT_EQ(wrong.output.find("LOCATION"), std::string::npos) << wrong.output;
}

TEST_F(PrimaryTest, SetupFixesAnUnpreparedClusterAndIsIdempotent) {
  auto primary = Cluster::Create(ws_, {.replication_role = false,
                                       .hba_replication = false,
                                       .settings = {"wal_level = minimal", "max_wal_senders = 0"}});
  ASSERT_TRUE(primary) << primary.error().message << "\n" << primary.error().detail;
  auto cfg = WriteConfig(ws_, **primary);
  auto first = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address",
                                  "127.0.0.1/32", "--output", "json"});
  EXPECT_EQ(first.code, 0) << first.output;
  auto j = first.Json();
  EXPECT_EQ(j["changed"], true) << first.output;
  EXPECT_EQ(j["restart_required"], true) << first.output;
  EXPECT_EQ(first.output.find(Cluster::kReplicationPassword), std::string::npos);
  // The password reached the server only as a SCRAM verifier.
  auto stored =
      (*primary)->Scalar("SELECT rolpassword FROM pg_authid WHERE rolname = 'replicator'");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->rfind("SCRAM-SHA-256$", 0), 0u);

  ASSERT_TRUE((*primary)->Restart());
  auto check = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path, "--output", "json"});
  EXPECT_EQ(check.code, 0) << check.output;

  auto second = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address",
                                   "127.0.0.1/32", "--output", "json"});
  EXPECT_EQ(second.code, 0) << second.output;
  EXPECT_EQ(second.Json()["changed"], false) << second.output;
  auto text = RunPgreplica(
      ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address", "127.0.0.1/32"});
  EXPECT_NE(text.output.find("no changes"), std::string::npos) << text.output;
}

// Without --reset-password the mismatch is reported and the password kept (input_test.cc).
TEST_F(PrimaryTest, SetupReplacesAWrongPasswordWhenAsked) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  ASSERT_TRUE((*primary)->Sql("ALTER ROLE replicator PASSWORD 'something else'"));
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(
      ws_, {"primary", "setup", "--config", cfg.path, "--reset-password", "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("set a new SCRAM password"), std::string::npos) << r.output;
  EXPECT_EQ(r.Json()["replication_works"], true);
}

// A reject line for 127.0.0.5 did not stop "--allowed-address 127.0.0.0/24", whose line went
// above it and let 127.0.0.5 in.
TEST_F(PrimaryTest, SetupStopsAtARejectLineThatOverlapsTheAddress) {
  auto primary = Cluster::Create(ws_, {.replication_role = false, .hba_replication = false});
  ASSERT_TRUE(primary) << primary.error().message;
  auto hba = (*primary)->Scalar("SHOW hba_file");
  ASSERT_TRUE(hba);
  auto old = ReadFile(*hba);
  ASSERT_TRUE(old);
  std::string reject = "host replication all 127.0.0.5/32 reject\n";
  ASSERT_TRUE(WriteFileAtomic(*hba, reject + *old, 0600,
                              Owner{TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid}));
  ASSERT_TRUE((*primary)->Sql("SELECT pg_reload_conf()"));
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address",
                              "127.0.0.0/24", "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  auto j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["changed"], false);
  EXPECT_EQ(j["error"]["kind"], "check_failed") << r.output;
  EXPECT_NE(j["error"]["detail"].get<std::string>().find("Line 1 of"), std::string::npos);
  EXPECT_EQ(*ReadFile(*hba), reject + *old) << "pg_hba.conf was changed";
  EXPECT_EQ((*primary)
                ->Scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'replicator'")
                .value_or("?"),
            "0")
      << "the role was created before setup stopped";
  auto text = RunPgreplica(
      ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address", "127.0.0.0/24"});
  EXPECT_EQ(text.code, 1) << text.output;
  EXPECT_EQ(text.output.rfind("pgreplica: error: pg_hba.conf rejects replication connections of "
                              "\"replicator\" from addresses within or around 127.0.0.0/24",
                              0),
            0u)
      << text.output;
  EXPECT_NE(text.output.find("Nothing was changed."), std::string::npos) << text.output;
}

// "--user postgres" (the admin user) was accepted, and the suggested --reset-password then set
// the admin's password to the replication password.
TEST_F(PrimaryTest, SetupRefusesTheAdminOrASuperuserAsTheReplicationRole) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  ASSERT_TRUE((*primary)->Sql("CREATE ROLE su SUPERUSER LOGIN PASSWORD 'su secret'"));
  auto stored = [&](const std::string& role) {
    return (*primary)
        ->Scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1", {role})
        .value_or("?");
  };
  std::string admin_before = stored("postgres"), su_before = stored("su");
  auto cfg = WriteConfig(ws_, **primary);
  for (const auto& [user, words] :
       {std::pair{std::string("postgres"), std::string("the replication role \"postgres\" is the "
                                                       "admin user")},
        {std::string("su"), std::string("the replication role \"su\" is a superuser")}}) {
    auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--user", user,
                                "--reset-password", "--allowed-address", "127.0.0.1/32"});
    EXPECT_EQ(r.code, 4) << r.output;
    EXPECT_EQ(r.output.rfind("pgreplica: error: " + words, 0), 0u) << r.output;
  }
  EXPECT_EQ(stored("postgres"), admin_before) << "the admin's password was replaced";
  EXPECT_EQ(stored("su"), su_before) << "a superuser's password was replaced";
  auto check = RunPgreplica(ws_, {"primary", "check", "--config", cfg.path});
  EXPECT_EQ(check.code, 0) << "the admin is locked out: " << check.output;
}

// With a wrong password every line was marked "ok", "a replication connection still fails"
// included, and the summary said "no changes: the primary was already set up".
TEST_F(PrimaryTest, SetupMarksWhatFailed) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--password-stdin"},
                        "not the password\n");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("  FAIL     the password does not match"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  FAIL     a replication connection still fails"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("  ok       a replication connection"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("already set up"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not set up: see FAIL above (nothing was changed)"), std::string::npos)
      << r.output;
  auto j =
      RunPgreplica(
          ws_, {"primary", "setup", "--config", cfg.path, "--password-stdin", "--output", "json"},
          "not the password\n")
          .Json();
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["ok"], false);
  std::map<std::string, std::string> status;
  for (const auto& a : j["actions"]) status[a["name"]] = a["status"];
  EXPECT_EQ(status["password"], "failed");
  EXPECT_EQ(status["replication_connection"], "failed");
  EXPECT_EQ(status["wal_level"], "ok");
}

// A bare address passed the checks and then gave pg_hba.conf a line without a prefix length,
// which the server refuses (exit 10, and a hint with the same line).
TEST_F(PrimaryTest, SetupTakesABareAddressForOneHost) {
  auto primary = Cluster::Create(ws_, {.hba_replication = false});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  auto r = RunPgreplica(ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address",
                              "127.0.0.1", "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.Json()["replication_works"], true) << r.output;
  EXPECT_NE(r.output.find("host replication replicator 127.0.0.1/32 scram-sha-256"),
            std::string::npos)
      << r.output;
}

// hba_file is the server's setting: a postgres user who points it at a file of root's (or
// swaps pg_hba.conf for a link to one) made root rewrite that file.
TEST_F(PrimaryTest, SetupEditsOnlyAPgHbaOfThePostgresUser) {
  if (geteuid() != 0) GTEST_SKIP() << "about what root writes";
  auto primary = Cluster::Create(ws_, {.hba_replication = false});
  ASSERT_TRUE(primary) << primary.error().message;
  auto hba = (*primary)->Scalar("SHOW hba_file");
  ASSERT_TRUE(hba);
  auto text = ReadFile(*hba);
  ASSERT_TRUE(text);
  std::string root_dir = ws_.path() + "/root-owned";
  ASSERT_EQ(mkdir(root_dir.c_str(), 0755), 0);
  std::string root_file = root_dir + "/pg_hba.conf";
  ASSERT_TRUE(WriteFileAtomic(root_file, *text, 0644, Owner{0, 0}));
  auto cfg = WriteConfig(ws_, **primary);
  auto setup = [&] {
    return RunPgreplica(
        ws_, {"primary", "setup", "--config", cfg.path, "--allowed-address", "127.0.0.1/32"});
  };
  // pg_hba.conf swapped for a link to root's file.
  std::string moved = *hba + ".moved";
  ASSERT_EQ(rename(hba->c_str(), moved.c_str()), 0);
  ASSERT_EQ(symlink(root_file.c_str(), hba->c_str()), 0);
  ASSERT_EQ(lchown(hba->c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  auto link = setup();
  EXPECT_EQ(link.code, 6) << link.output;
  EXPECT_NE(link.output.find("cannot edit pg_hba.conf"), std::string::npos) << link.output;
  EXPECT_NE(link.output.find("host replication replicator 127.0.0.1/32 scram-sha-256"),
            std::string::npos)
      << "the line to add by hand: " << link.output;
  EXPECT_EQ(*ReadFile(root_file), *text) << "root's file was changed through the link";
  ASSERT_EQ(unlink(hba->c_str()), 0);
  ASSERT_EQ(rename(moved.c_str(), hba->c_str()), 0);
  // hba_file pointing at root's file.
  ASSERT_TRUE((*primary)->Sql("ALTER SYSTEM SET hba_file = '" + root_file + "'"));
  ASSERT_TRUE((*primary)->Restart());
  ASSERT_EQ((*primary)->Scalar("SHOW hba_file").value_or("?"), root_file);
  auto owned = setup();
  EXPECT_EQ(owned.code, 6) << owned.output;
  EXPECT_NE(owned.output.find("belongs to user \"root\""), std::string::npos) << owned.output;
  EXPECT_EQ(*ReadFile(root_file), *text) << "root's file was changed";
  EXPECT_EQ((*primary)
                ->Scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'replicator'")
                .value_or("?"),
            "1");
}

TEST_F(PrimaryTest, PgpassRoundTripThroughLibpq) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  std::string other = "other.example.com:5432:*:someone:keep:me\n";
  ASSERT_TRUE(WriteFileAtomic(cfg.pgpass_file, other, 0600,
                              Owner{TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid}));
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg.path});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find(Cluster::kReplicationPassword), std::string::npos);
  auto text = ReadFile(cfg.pgpass_file);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->rfind(other, 0), 0u) << "other lines must survive";
  struct stat st {};
  ASSERT_EQ(stat(cfg.pgpass_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, TestEnv::Get().os_user.uid);
  // A real replication connection that finds the password only in that file.
  pg::ConnParams p{.host = "127.0.0.1",
                   .port = (*primary)->port(),
                   .user = Cluster::kReplicationUser,
                   .passfile = cfg.pgpass_file,
                   .replication = true};
  auto conn = pg::Connection::Open(p, "primary");
  ASSERT_TRUE(conn) << conn.error().message << "\n" << conn.error().detail;
  auto id = conn->ExecSimple("IDENTIFY_SYSTEM");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->rows(), 1);
  // The same from stdin, and idempotent.
  auto again =
      RunPgreplica(ws_, {"pgpass", "--config", cfg.path, "--password-stdin", "--output", "json"},
                   Cluster::kReplicationPassword + "\n");
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(again.Json()["changed"], false) << again.output;
}

TEST_F(PrimaryTest, PgpassRefusesAGroupReadableSecret) {
  auto primary = Cluster::Create(ws_, {});
  ASSERT_TRUE(primary) << primary.error().message;
  auto cfg = WriteConfig(ws_, **primary);
  ASSERT_EQ(chmod(cfg.secret_file.c_str(), 0640), 0);
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg.path});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("is not private"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("chmod 600"), std::string::npos) << r.output;
  struct stat st {};
  EXPECT_NE(stat(cfg.pgpass_file.c_str(), &st), 0) << "nothing may be written";
}

}  // namespace
}  // namespace pgreplica::testing
