// pgreplica clone against real clusters: the happy paths and every promised
// failure, each checking that the old data directory is untouched.

#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/clone_fixture.h"
#include "support/cluster.h"
#include "support/snapshot.h"
#include "support/wait.h"

namespace pgreplica::testing {
namespace {

namespace fs = std::filesystem;

class CloneTest : public CloneFixture {};

TEST_F(CloneTest, FreshCloneUnderWriteLoad) {
  ASSERT_TRUE(primary_->PgbenchInit(2));
  auto load = primary_->PgbenchLoad(120, 50);
  ASSERT_TRUE(load);
  auto r = Clone({"--output", "json"});
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = r.Json();
  EXPECT_EQ(j["completed"], true) << r.output;
  EXPECT_EQ(j["confirm"]["receiver_status"], "streaming");
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) steps.push_back(s["name"]);
  EXPECT_EQ(steps, (std::vector<std::string>{"lock", "preflight", "slot", "copy", "verify", "swap",
                                             "confirm", "cleanup"}));
  EXPECT_TRUE(StandbyStreams());
  std::string slot = j["slot"];
  EXPECT_EQ(primary_->Scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {slot})
                .value_or(""),
            "t");
  ASSERT_TRUE(primary_->Sql("CREATE TABLE after_clone(v text)"));
  ASSERT_TRUE(primary_->Sql("INSERT INTO after_clone VALUES ('written later')"));
  EXPECT_TRUE(
      standby_->WaitFor("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'after_clone') AND "
                        "(SELECT v = 'written later' FROM after_clone)"));
  EXPECT_FALSE(fs::exists(Staging()));
}

// clone.compress: lz4 and zstd on the primary, decompressed by pg_basebackup into the plain
// copy, which verifies, starts and streams; the second clone replaces the first's standby.
TEST_F(CloneTest, ServerSideCompressedCopiesStream) {
  ASSERT_TRUE(primary_->PgbenchInit(2));
  for (std::string method : {"server-lz4", "server-zstd:level=1"}) {
    auto r = Clone({"--compress", method, "--output", "json"});
    ASSERT_EQ(r.code, 0) << r.output;
    auto j = r.Json();
    EXPECT_EQ(j["completed"], true) << r.output;
    EXPECT_EQ(j["plan"]["compress"], method) << r.output;
    const auto& argv = j["plan"]["pg_basebackup"];
    EXPECT_NE(std::find(argv.begin(), argv.end(), "--compress=" + method), argv.end()) << argv;
    std::string copy_message;
    for (const auto& s : j["steps"])
      if (s["name"] == "copy") copy_message = s["message"];
    EXPECT_NE(copy_message.find("compressed with " + method + " (clone.compress)"),
              std::string::npos)
        << copy_message;
    EXPECT_TRUE(StandbyStreams());
    std::string table = "after_" + method.substr(7, 3);
    ASSERT_TRUE(
        primary_->Sql(fmt::format("CREATE TABLE {} AS SELECT count(*) AS n FROM "
                                  "pgbench_accounts",
                                  table)));
    EXPECT_TRUE(
        standby_->WaitFor(fmt::format("SELECT EXISTS (SELECT 1 FROM pg_class WHERE "
                                      "relname = '{0}') AND (SELECT n = 200000 FROM {0})",
                                      table)))
        << method;
  }
}

// The default, auto, copies uncompressed from a primary on this host, and says so.
TEST_F(CloneTest, AutoCompressionCopiesUncompressedFromThisHost) {
  auto dry = Clone({"--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("uncompressed (clone.compress auto: the primary is on this host)"),
            std::string::npos)
      << dry.output;
  EXPECT_EQ(dry.output.find("--compress="), std::string::npos) << dry.output;
  // What auto would pick from another host: Debian's PostgreSQL 15 has both.
  auto j = Clone({"--dry-run", "--output", "json"}).Json();
  EXPECT_EQ(j["plan"]["primary_compression_methods"], nlohmann::json::array({"lz4", "zstd"}))
      << j.dump();
  auto r = Clone();
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("uncompressed (clone.compress auto: the primary is on this host)"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(StandbyStreams());
}

TEST_F(CloneTest, RecloneKeepsTheOldStandbyAnsweringDuringTheCopy) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto first = Clone({"--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  std::string slot = first.Json()["slot"];
  ASSERT_TRUE(StandbyStreams());
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  double longest_gap = 0;
  std::thread probe([&] {
    auto last_ok = std::chrono::steady_clock::now();
    while (!stop) {
      if (standby_->Scalar("SELECT 1")) {
        auto now = std::chrono::steady_clock::now();
        longest_gap = std::max(longest_gap, std::chrono::duration<double>(now - last_ok).count());
        last_ok = now;
        ++answered;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  int during_copy_before = answered;
  // More than 5 answers within 2 s (the probe asks every 0.1 s), and the copy still runs after
  // them.
  EXPECT_TRUE(WaitUntil([&] { return answered - during_copy_before > 5; }, std::chrono::seconds(2),
                        "the old standby to answer while the copy runs"));
  EXPECT_NE(FindProcess({"pg_basebackup", Staging()}), 0) << "the copy ended meanwhile";
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  // The probe's first answer from the new standby closes the last gap.
  int after_clone = answered;
  EXPECT_TRUE(WaitUntil([&] { return answered > after_clone; }, std::chrono::seconds(60),
                        "the new standby to answer the probe"));
  stop = true;
  probe.join();
  EXPECT_TRUE(status.ok()) << clone.TailText();
  EXPECT_TRUE(StandbyStreams());
  auto old = fs::path(data_).filename().string() + ".old-";
  bool kept = false;
  for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
    kept |= e.path().filename().string().rfind(old, 0) == 0;
  EXPECT_TRUE(kept) << "the previous data directory is kept";
  // Reported, not asserted: how long reads failed around the swap. A test on a shared machine
  // cannot hold it to a figure; bench/clone --max-read-gap does (docs/benchmarks.md).
  std::cout << "[ measure ] longest read-unavailability window during re-clone: " << longest_gap
            << " s" << std::endl;
  RecordProperty("read_unavailable_seconds", std::to_string(longest_gap));
  EXPECT_EQ(Slots(), slot) << "only the host's slot remains: the temporary copy slot is dropped";
}

TEST_F(CloneTest, ExplicitSlotNamesAreValidated) {
  auto bad = Clone({"--slot", "Replica-01"});
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("lower-case letters, digits and underscores"), std::string::npos)
      << bad.output;
  auto good = Clone({"--slot", "node_replica_01_slot", "--output", "json"});
  EXPECT_EQ(good.code, 0) << good.output;
  EXPECT_EQ(Slots(), "node_replica_01_slot");
}

TEST_F(CloneTest, PasswordNeverAppearsInArgvEnvironLogOrJson) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto clone = StartSlowClone({"--output", "json"});
  ASSERT_NE(WaitForCopy(), 0);
  std::string where;
  // Looked at ten times over about 2 s of the copy, not once: the sleep spaces the looks out.
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(AnyProcessShows(Cluster::kReplicationPassword, &where)) << where;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_TRUE(status.ok()) << clone.TailText();
  std::string output = clone.TailText();
  EXPECT_EQ(output.find(Cluster::kReplicationPassword), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(cfg_.state_dir)) {
    if (!e.is_regular_file()) continue;
    auto text = ReadFile(e.path().string());
    ASSERT_TRUE(text);
    EXPECT_EQ(text->find(Cluster::kReplicationPassword), std::string::npos) << e.path();
  }
  auto conf = ReadFile(data_ + "/postgresql.auto.conf");
  ASSERT_TRUE(conf);
  EXPECT_EQ(conf->find(Cluster::kReplicationPassword), std::string::npos)
      << "primary_conninfo has no password";
  EXPECT_NE(conf->find("passfile="), std::string::npos) << *conf;
}

TEST_F(CloneTest, DryRunChangesNothing) {
  auto r = Clone({"--dry-run", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = r.Json();
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["completed"], false);
  std::string argv = j["plan"]["pg_basebackup"].dump();
  EXPECT_NE(argv.find("--checkpoint=fast"), std::string::npos);
  EXPECT_EQ(argv.find(Cluster::kReplicationPassword), std::string::npos);
  EXPECT_EQ(Slots(), "");
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_FALSE(fs::exists(Staging()));
}

TEST_F(CloneTest, WrongPasswordFailsBeforeAnythingChanges) {
  Snapshot before = MakeStoppedStandby();
  std::string slots = Slots();
  std::string bad = ws_.WriteFile("bad.secret", "wrong password\n");
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path, "--password-file", bad}).code, 0);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("preflight failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FAIL  replication_connection"), std::string::npos) << r.output;
  EXPECT_EQ(Slots(), slots);
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path}).code, 0);
  ExpectOldStandbyIntact(before);
}

TEST_F(CloneTest, PgpassVerifyRefusesAWrongPasswordAndWritesNothing) {
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path}).code, 0);
  std::string before = ReadFile(cfg_.pgpass_file).value_or("?");
  auto bad = RunPgreplica(
      ws_, {"pgpass", "--config", cfg_.path, "--verify", "--password-stdin", "--output", "json"},
      "wrong password\n");
  EXPECT_EQ(bad.code, ExitCode(ErrorKind::kAuth)) << bad.output;
  EXPECT_NE(bad.output.find("password authentication failed"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("was not changed"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.output.find("wrong password"), std::string::npos) << "never the password";
  EXPECT_EQ(ReadFile(cfg_.pgpass_file).value_or("?"), before);
  // The right one: verified, and no change since the file already holds it.
  auto good = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path, "--verify", "--output", "json"});
  ASSERT_EQ(good.code, 0) << good.output;
  EXPECT_EQ(good.Json()["verified"], true);
  EXPECT_EQ(good.Json()["changed"], false);
}

TEST_F(CloneTest, PgpassVerifyFailsOnAnUnreachablePrimary) {
  auto cfg = WriteConfig(ws_, *primary_, fmt::format("  data_directory: {}\n", data_));
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg.path, "--verify", "--port", "1"});
  EXPECT_EQ(r.code, ExitCode(ErrorKind::kConnection)) << r.output;
  EXPECT_FALSE(fs::exists(cfg.pgpass_file)) << "nothing written";
}

TEST_F(CloneTest, PgpassDryRunSaysWhetherItWouldChange) {
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path}).code, 0);
  std::string written = ReadFile(cfg_.pgpass_file).value_or("?");
  auto same = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path, "--dry-run", "--output", "json"});
  ASSERT_EQ(same.code, 0) << same.output;
  EXPECT_EQ(same.Json()["changed"], false) << same.output;
  EXPECT_EQ(same.Json()["dry_run"], true);
  auto other = RunPgreplica(
      ws_, {"pgpass", "--config", cfg_.path, "--dry-run", "--password-stdin", "--output", "json"},
      "another password\n");
  EXPECT_EQ(other.Json()["changed"], true) << other.output;
  auto text = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path, "--dry-run", "--password-stdin"},
                           "another password\n");
  EXPECT_NE(text.output.find("would write the entry"), std::string::npos) << text.output;
  EXPECT_EQ(ReadFile(cfg_.pgpass_file).value_or("?"), written) << "a dry run writes nothing";
}

TEST_F(CloneTest, PrimaryDownFailsBeforeAnythingChanges) {
  Snapshot before = MakeStoppedStandby();
  ASSERT_TRUE(primary_->Stop());
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("could not connect to primary"), std::string::npos) << r.output;
  RestartPrimaryAndExpectOldStandbyIntact(before);
}

TEST_F(CloneTest, PrimaryRestartMidCopyLeavesTheOldStandby) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  Snapshot before = MakeStoppedStandby();
  std::string slots = Slots();
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  ASSERT_TRUE(primary_->Stop("immediate"));
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_EQ(status.code, 11) << clone.TailText();
  EXPECT_NE(clone.TailText().find("pg_basebackup"), std::string::npos) << clone.TailText();
  // The primary was down when the run ended: the temporary slot it created is reported, and the
  // next run drops it.
  EXPECT_NE(clone.TailText().find("could not be dropped"), std::string::npos) << clone.TailText();
  RestartPrimaryAndExpectOldStandbyIntact(before);
}

TEST_F(CloneTest, KilledPgBasebackupLeavesTheOldStandby) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  Snapshot before = MakeStoppedStandby();
  std::string slots = Slots();
  auto clone = StartSlowClone();
  int pid = WaitForCopy();
  ASSERT_NE(pid, 0);
  kill(pid, SIGKILL);
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_EQ(status.code, 11) << clone.TailText();
  EXPECT_NE(clone.TailText().find("signal 9"), std::string::npos) << clone.TailText();
  EXPECT_EQ(Slots(), slots) << clone.TailText();
  ExpectOldStandbyIntact(before);
}

TEST_F(CloneTest, SigintMidCopyCleansUpAndARerunSucceeds) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  Snapshot before = MakeStoppedStandby();
  std::string slots = Slots();
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  kill(clone.pid(), SIGINT);
  auto status = clone.Wait({.timeout = std::chrono::minutes(2)});
  EXPECT_EQ(status.code, 13) << clone.TailText();
  EXPECT_NE(clone.TailText().find("clone interrupted during the copy"), std::string::npos)
      << clone.TailText();
  EXPECT_EQ(FindProcess({"pg_basebackup", Staging()}), 0)
      << "pg_basebackup must not outlive the run";
  EXPECT_EQ(Slots(), slots);
  ExpectOldStandbyIntact(before);
  auto jobs = RunPgreplica(ws_, {"jobs", "list", "--config", cfg_.path});
  EXPECT_NE(jobs.output.find("interrupted"), std::string::npos) << jobs.output;
  auto again = Clone();
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(StandbyStreams());
}

TEST_F(CloneTest, SigkillMidCopyLeavesOnlyStagingWhichTheNextRunRemoves) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  Snapshot before = MakeStoppedStandby();
  auto clone = StartSlowClone();
  int basebackup = WaitForCopy();
  ASSERT_NE(basebackup, 0);
  kill(clone.pid(), SIGKILL);
  clone.Wait({.timeout = std::chrono::minutes(1)});
  // pg_basebackup loses its parent; it ends when its output pipe closes or we end it.
  kill(basebackup, SIGKILL);
  for (int i = 0; i < 50 && FindProcess({"pg_basebackup", Staging()}) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(DescribeDifference(before, TakeSnapshot(data_)), "")
      << "the data directory is untouched";
  EXPECT_TRUE(fs::exists(Staging())) << "a SIGKILLed run can only leave staging behind";
  auto again = Clone({"--output", "json"});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_FALSE(fs::exists(Staging()));
}

TEST_F(CloneTest, StagingFilesystemTooSmallIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  ASSERT_TRUE(primary_->PgbenchInit(3));
  std::string small = ws_.MakeDir("small");
  ASSERT_EQ(mount("tmpfs", small.c_str(), "tmpfs", 0, "size=8m,mode=0755"), 0) << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  ASSERT_EQ(chown(small.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  auto cfg = WriteConfig(ws_, *primary_,
                         fmt::format("  data_directory: {}/data\n  port: {}\n", small, port_));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto r = RunPgreplica(ws_, {"clone", "--config", cfg.path});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  disk_space"), std::string::npos) << r.output;
  EXPECT_EQ(Slots(), "");
  EXPECT_FALSE(fs::exists(small + "/data.pgreplica-staging"));
}

TEST_F(CloneTest, SlotActiveElsewhereIsRefused) {
  auto r0 = primary_->Sql("SELECT pg_create_physical_replication_slot('node_taken_slot', true)");
  ASSERT_TRUE(r0);
  auto receiver = proc::Child::Start(
      {.argv = {TestEnv::Get().bindir + "/pg_receivewal", "-D", ws_.MakeDir("receivewal"), "-S",
                "node_taken_slot", "-h", "127.0.0.1", "-p", std::to_string(primary_->port()), "-U",
                "replicator", "-w"},
       .env = {{"PGPASSFILE", cfg_.pgpass_file}},
       .run_as = TestEnv::Get().os_user,
       .die_with_parent = true});
  ASSERT_TRUE(receiver);
  ASSERT_TRUE(primary_->WaitFor(
      "SELECT active FROM pg_replication_slots WHERE slot_name = 'node_taken_slot'"));
  auto r = Clone({"--slot", "node_taken_slot"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("is active, held by another client"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("decommission"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(CloneTest, PointedAtItselfIsRefused) {
  auto r = Clone(
      {"--local-port", std::to_string(primary_->port()), "--data-directory", primary_->data_dir()});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  not_self"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is the primary itself"), std::string::npos) << r.output;
  EXPECT_TRUE(primary_->Running());
  EXPECT_FALSE(fs::exists(primary_->data_dir() + ".pgreplica-staging"));
}

TEST_F(CloneTest, RunningPrimaryAsTargetNeedsForce) {
  auto other = Cluster::Create(ws_, {.name = "other"});
  ASSERT_TRUE(other) << other.error().message;
  Snapshot marker_before = TakeSnapshot((*other)->data_dir() + "/global");
  auto r = Clone(
      {"--data-directory", (*other)->data_dir(), "--local-port", std::to_string((*other)->port())});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("is a running primary"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
  EXPECT_TRUE((*other)->Running());
  EXPECT_EQ((*other)->Scalar("SELECT pg_is_in_recovery()").value_or(""), "f");
  EXPECT_EQ(Slots(), "");
}

TEST_F(CloneTest, ConcurrentCloneIsRefusedAtOnce) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto first = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  auto second = Clone();
  EXPECT_EQ(second.code, 12) << second.output;
  EXPECT_NE(second.output.find("another pgreplica run is working on data directory"),
            std::string::npos)
      << second.output;
  auto status = first.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_TRUE(status.ok()) << first.TailText();
  EXPECT_TRUE(StandbyStreams());
}

TEST_F(CloneTest, MajorVersionMismatchIsRefused) {
  // A bindir whose programs claim another major version.
  std::string fake = ws_.MakeDir("fakebin");
  for (const char* name : {"pg_basebackup", "pg_ctl", "postgres", "pg_verifybackup"}) {
    std::string path = fake + "/" + name;
    ASSERT_TRUE(
        WriteFileAtomic(path, fmt::format("#!/bin/sh\necho '{} (PostgreSQL) 99.1'\n", name), 0755));
  }
  auto r = Clone({"--bindir", fake});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(fmt::format("local pg_ctl is PostgreSQL 99, but the primary runs "
                                      "PostgreSQL {}",
                                      TestEnv::Get().major)),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_EQ(Slots(), "");
}

TEST_F(CloneTest, DetachedCloneIsFollowedThroughJobs) {
  auto r = Clone({"--detach", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.output;
  std::string id = r.Json()["job"];
  auto follow = RunPgreplica(ws_, {"jobs", "show", id, "--follow", "--config", cfg_.path});
  EXPECT_EQ(follow.code, 0) << follow.output;
  EXPECT_NE(follow.output.find("step confirm: ok"), std::string::npos) << follow.output;
  auto show = RunPgreplica(ws_, {"jobs", "show", id, "--config", cfg_.path, "--output", "json"});
  EXPECT_EQ(show.Json()["state"], "succeeded") << show.output;
  EXPECT_TRUE(StandbyStreams());
  auto missing =
      RunPgreplica(ws_, {"jobs", "show", "20000101T000000Z-clone-0000", "--config", cfg_.path});
  EXPECT_EQ(missing.code, 15) << missing.output;
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

TEST_F(CloneTest, IfNeededDoesNothingForAStreamingStandby) {
  auto first = Clone({"--if-needed", "--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(first.Json()["completed"], true) << "no standby yet: it clones";
  ASSERT_TRUE(StandbyStreams());
  auto jobs = [&] {
    auto l = RunPgreplica(ws_, {"jobs", "list", "--config", cfg_.path, "--output", "json"});
    return l.Json()["jobs"].size();
  };
  size_t records = jobs();
  auto again = Clone({"--if-needed", "--output", "json"});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(again.Json()["already_streaming"], true) << again.output;
  EXPECT_EQ(again.Json()["completed"], false);
  EXPECT_FALSE(again.Json().contains("job")) << "nothing was done: no job record";
  EXPECT_EQ(jobs(), records) << "a run that did nothing records no job";
  for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".old-"), std::string::npos)
        << "nothing was replaced";
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

TEST_F(CloneTest, ANewCopyThatDoesNotStartIsRolledBack) {
  Snapshot before = MakeStoppedStandby();
  // A service whose start always fails: the swap must put the old data directory back.
  auto cfg = WriteConfig(
      ws_, *primary_,
      fmt::format(
          "  data_directory: {}\n  port: {}\n  service:\n    type: custom\n"
          "    start: [sh, -c, 'exit 1']\n    stop: ['true']\n    status: [sh, -c, 'exit 3']\n",
          data_, port_));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto r = RunPgreplica(ws_, {"clone", "--config", cfg.path});
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_NE(r.output.find("the new standby did not start"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("The old data directory was put back"), std::string::npos) << r.output;
  bool failed_kept = false;
  for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
    failed_kept |= e.path().filename().string().find(".failed-") != std::string::npos;
  EXPECT_TRUE(failed_kept) << "the copy that did not start is kept for study";
  ExpectOldStandbyIntact(before);
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

TEST_F(CloneTest, SigtermAndSighupMidCopyCleanUpLikeSigint) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  for (int sig : {SIGTERM, SIGHUP}) {
    SCOPED_TRACE(strsignal(sig));
    auto clone = StartSlowClone();
    ASSERT_NE(WaitForCopy(), 0);
    kill(clone.pid(), sig);
    auto status = clone.Wait({.timeout = std::chrono::minutes(2)});
    EXPECT_EQ(status.code, 13) << clone.TailText();
    EXPECT_EQ(FindProcess({"pg_basebackup", Staging()}), 0);
    EXPECT_FALSE(fs::exists(Staging()));
    EXPECT_FALSE(fs::exists(data_)) << "no data directory appears from an interrupted first clone";
    EXPECT_EQ(Slots(), "") << "the slot this run created is dropped";
  }
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

// A Debian cluster made with pg_createcluster: configuration in /etc/postgresql/<major>/<name>,
// data in the test's workspace, started and stopped by pg_ctlcluster as its owner. An rc script
// /etc/init.d/<rc_name> runs pg_ctlcluster for this one cluster, as Debian's postgresql script
// does for all of them. Dropped, with the rc script, at the end; clusters left by a test process
// that no longer exists are dropped first.
class DebianCluster {
 public:
  DebianCluster(const Workspace& ws, const std::string& data_dir, int port)
      : major_(std::to_string(TestEnv::Get().major)),
        name_(fmt::format("pgrt{}", getpid())),
        rc_name_("pgreplica-test-" + name_) {
    DropStrays();
    std::string sockets = ws.MakeDir("debian-sockets");
    auto r =
        proc::Run({.argv = {"pg_createcluster", major_, name_, "-d", data_dir, "-p",
                            std::to_string(port), "-u", TestEnv::Get().os_user.name, "-s", sockets,
                            "-l", ws.path() + "/debian.log", "--start-conf", "manual"}});
    created_ = r && r->status.ok();
    EXPECT_TRUE(created_) << (r ? r->output : r.error().message);
    std::ofstream(RcScript()) << "#!/bin/sh\n# written by a pgreplica test\nexec pg_ctlcluster "
                              << major_ << " " << name_ << " \"$1\"\n";
    fs::permissions(RcScript(), fs::perms(0755));
  }
  ~DebianCluster() {
    std::error_code ec;
    fs::remove(RcScript(), ec);
    if (created_) (void)proc::Run({.argv = {"pg_dropcluster", "--stop", major_, name_}});
  }
  DebianCluster(const DebianCluster&) = delete;
  DebianCluster& operator=(const DebianCluster&) = delete;

  const std::string& major() const { return major_; }
  const std::string& name() const { return name_; }
  const std::string& rc_name() const { return rc_name_; }
  std::string ConfigFile() const {
    return fmt::format("/etc/postgresql/{}/{}/postgresql.conf", major_, name_);
  }
  // pg_ctlcluster status: 0 when the server runs.
  int Status() const {
    auto r = proc::Run({.argv = {"pg_ctlcluster", major_, name_, "status"}});
    return r ? r->status.code : -1;
  }

 private:
  std::string RcScript() const { return "/etc/init.d/" + rc_name_; }
  void DropStrays() const {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/etc/postgresql/" + major_, ec)) {
      std::string n = e.path().filename().string();
      if (n.rfind("pgrt", 0) != 0 || n.size() == 4 ||
          n.find_first_not_of("0123456789", 4) != std::string::npos)
        continue;
      if (kill(std::stoi(n.substr(4)), 0) == 0 && n != name_) continue;
      (void)proc::Run({.argv = {"pg_dropcluster", "--stop", major_, n}});
      fs::remove("/etc/init.d/pgreplica-test-" + n, ec);
    }
  }

  std::string major_, name_, rc_name_;
  bool created_ = false;
};

// The article's users start PostgreSQL with `service postgresql ...` on Debian. Here a Debian
// cluster is cloned through the real `service` command and an rc script, then re-cloned with
// the custom type calling pg_ctlcluster, then with the systemd type. This machine has no
// systemd, so a stand-in `systemctl` on PATH runs what Debian's postgresql@.service runs and
// logs each call. Each time the server that streams must be the one the service manager
// started (its configuration comes from /etc/postgresql).
TEST_F(CloneTest, DebianClusterThroughEachServiceType) {
  if (geteuid() != 0 || !fs::exists("/usr/bin/pg_createcluster") ||
      !fs::exists("/usr/sbin/service"))
    GTEST_SKIP() << "needs root, postgresql-common and the service command";
  DebianCluster debian(ws_, data_, port_);
  // pg_createcluster ran initdb; a first clone starts from no data directory at all.
  fs::remove_all(data_);
  auto started_by_debian = [&] {
    auto f = standby_->Scalar("SHOW config_file");
    return f ? *f : f.error().message;
  };

  // The default service type, pg_ctl, would start the copy without /etc/postgresql's
  // configuration: refused before anything is done.
  auto refused = Clone();
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find(
                fmt::format("belongs to the Debian cluster {}/{}", debian.major(), debian.name())),
            std::string::npos)
      << refused.output;
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_EQ(Slots(), "");
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.code, 0) << doctor.output;
  EXPECT_NE(doctor.output.find("pg_ctlcluster " + debian.major() + " " + debian.name()),
            std::string::npos)
      << doctor.output;

  auto service =
      WriteConfig(ws_, *primary_,
                  fmt::format("  data_directory: {}\n  port: {}\n  service:\n    type: service\n"
                              "    unit: {}\nclone:\n  confirm_timeout: 60\n",
                              data_, port_, debian.rc_name()));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", service.path}).code, 0);
  auto first = RunPgreplica(ws_, {"clone", "--config", service.path, "--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(first.Json()["confirm"]["receiver_status"], "streaming") << first.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_EQ(debian.Status(), 0) << "pg_ctlcluster sees the cluster running";
  EXPECT_EQ(started_by_debian(), debian.ConfigFile());
  auto first_start = standby_->Scalar("SELECT pg_postmaster_start_time()");
  ASSERT_TRUE(first_start);

  auto custom =
      WriteConfig(ws_, *primary_,
                  fmt::format("  data_directory: {0}\n  port: {1}\n  service:\n    type: custom\n"
                              "    start: [pg_ctlcluster, '{2}', {3}, start]\n"
                              "    stop: [pg_ctlcluster, '{2}', {3}, stop, --mode, fast]\n"
                              "    status: [pg_ctlcluster, '{2}', {3}, status]\n"
                              "clone:\n  confirm_timeout: 60\n",
                              data_, port_, debian.major(), debian.name()));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", custom.path}).code, 0);
  std::ofstream(data_ + "/pgreplica-test-marker") << "first copy\n";
  auto second = RunPgreplica(ws_, {"clone", "--config", custom.path});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_EQ(debian.Status(), 0);
  EXPECT_EQ(started_by_debian(), debian.ConfigFile());
  EXPECT_NE(standby_->Scalar("SELECT pg_postmaster_start_time()").value_or(""), *first_start)
      << "the server was restarted on the new copy";
  EXPECT_FALSE(fs::exists(data_ + "/pgreplica-test-marker")) << "the new copy is in place";
  bool kept = false;
  for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
    kept |= e.path().filename().string().find(".old-") != std::string::npos &&
            fs::exists(e.path() / "pgreplica-test-marker");
  EXPECT_TRUE(kept) << "the first copy is kept as the old data directory";

  std::string bin = ws_.MakeDir("bin"), calls = ws_.path() + "/systemctl.calls";
  std::ofstream(bin + "/systemctl")
      << "#!/bin/sh\n"
         "# Stand-in for systemctl: what Debian's postgresql@.service runs, each call logged.\n"
         "echo \"$*\" >> "
      << calls
      << "\n"
         "case \"$1\" in\n"
         "  start) exec pg_ctlcluster --skip-systemctl-redirect \"${2#postgresql@}\" start ;;\n"
         "  stop) exec pg_ctlcluster --skip-systemctl-redirect -m fast \"${2#postgresql@}\" stop "
         ";;\n"
         "  is-active) pg_ctlcluster \"${3#postgresql@}\" status >/dev/null 2>&1 || exit 3 ;;\n"
         "  *) exit 2 ;;\n"
         "esac\n";
  fs::permissions(bin + "/systemctl", fs::perms(0755));
  std::string unit = fmt::format("postgresql@{}-{}", debian.major(), debian.name());
  auto systemd =
      WriteConfig(ws_, *primary_,
                  fmt::format("  data_directory: {}\n  port: {}\n  service:\n    type: systemd\n"
                              "    unit: {}\nclone:\n  confirm_timeout: 60\n",
                              data_, port_, unit));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", systemd.path}).code, 0);
  std::ofstream(data_ + "/pgreplica-test-marker") << "second copy\n";
  auto third = RunPgreplica(ws_, {"clone", "--config", systemd.path}, "",
                            {{"PATH", bin + ":" + std::getenv("PATH")}});
  ASSERT_EQ(third.code, 0) << third.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_EQ(started_by_debian(), debian.ConfigFile());
  EXPECT_FALSE(fs::exists(data_ + "/pgreplica-test-marker")) << "the new copy is in place";
  std::ifstream log(calls);
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  auto at = [&](const std::string& call) {
    return std::find(lines.begin(), lines.end(), call) - lines.begin();
  };
  std::string all = fmt::format("{}", fmt::join(lines, "\n"));
  EXPECT_LT(at("is-active --quiet " + unit), at("stop " + unit)) << all;
  EXPECT_LT(at("stop " + unit), at("start " + unit)) << all;
  EXPECT_LT(at("start " + unit), static_cast<std::ptrdiff_t>(lines.size())) << all;
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

// The swap stops the old standby through local.service. A service that does not control the
// server in the data directory must never lead to moving a running server's directory away.
TEST_F(CloneTest, AServiceThatDoesNotControlTheStandbyNeverMovesItAway) {
  auto first = Clone({"--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  std::string slot = first.Json()["slot"];
  ASSERT_TRUE(StandbyStreams());
  auto started = standby_->Scalar("SELECT pg_postmaster_start_time()");
  ASSERT_TRUE(started);
  auto expect_untouched = [&] {
    EXPECT_EQ(standby_->Scalar("SELECT pg_postmaster_start_time()").value_or(""), *started)
        << "the old standby ran on throughout";
    EXPECT_TRUE(StandbyStreams());
    EXPECT_FALSE(fs::exists(Staging())) << "staging left behind";
    for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
      EXPECT_EQ(e.path().filename().string().find(".old-"), std::string::npos)
          << "nothing was moved away";
    EXPECT_EQ(Slots(), slot) << "the temporary copy slot is dropped";
  };
  auto with_service = [&](const std::string& status) {
    auto cfg = WriteConfig(ws_, *primary_,
                           fmt::format("  data_directory: {}\n  port: {}\n  service:\n    type: "
                                       "custom\n    start: ['true']\n    stop: ['true']\n"
                                       "    status: [sh, -c, '{}']\n",
                                       data_, port_, status));
    EXPECT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
    return RunPgreplica(ws_, {"clone", "--config", cfg.path});
  };

  // A service that reports the running standby stopped: refused by the preflight.
  auto refused = with_service("exit 3");
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("reports it stopped; the swap could not stop it"),
            std::string::npos)
      << refused.output;
  expect_untouched();

  // A service that sees the standby but whose stop does nothing: the swap gives up.
  auto kept = with_service(fmt::format("kill -0 $(head -1 {}/postmaster.pid)", data_));
  EXPECT_EQ(kept.code, 11) << kept.output;
  EXPECT_NE(kept.output.find("could not stop the old standby"), std::string::npos) << kept.output;
  EXPECT_NE(kept.output.find("Nothing was moved"), std::string::npos) << kept.output;
  expect_untouched();
}

// A start that brings the new copy up but reports failure, and a stop that does nothing from
// then on: the rollback must leave the running new copy where it runs and keep the old data.
TEST_F(CloneTest, ARollBackNeverMovesARunningNewCopy) {
  auto first = Clone({"--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  std::string slot = first.Json()["slot"];
  std::ofstream(data_ + "/pgreplica-test-marker") << "old standby\n";
  const auto& env = TestEnv::Get();
  std::string as_user = geteuid() == 0 ? "runuser -u " + env.os_user.name + " -- " : "";
  std::string pid_file = data_ + "/postmaster.pid";
  // The first stop (of the old standby) is real; later ones (the rollback's) do nothing.
  std::string stopped_once = ws_.path() + "/stopped-once";
  auto cfg = WriteConfig(
      ws_, *primary_,
      fmt::format(
          "  data_directory: {0}\n  port: {1}\n  service:\n    type: custom\n"
          "    start: [sh, -c, '{2}{3}/pg_ctl start -D {0} -l {4} -w -o \"-p {1}\"; exit 1']\n"
          "    stop: [sh, -c, 'test -e {5} || {{ touch {5}; {2}{3}/pg_ctl stop -D {0} -m "
          "fast -w; }}']\n"
          "    status: [sh, -c, 'kill -0 $(head -1 {6})']\n",
          data_, port_, as_user, env.bindir, ws_.path() + "/new.log", stopped_once, pid_file));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto r = RunPgreplica(ws_, {"clone", "--config", cfg.path});
  EXPECT_EQ(r.code, 11) << r.output;
  EXPECT_NE(r.output.find("the new copy was left in place"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(data_ + "/pgreplica-test-marker")) << "the running new copy stays";
  EXPECT_TRUE(StandbyStreams()) << "the new copy runs and streams";
  std::string old;
  for (const auto& e : fs::directory_iterator(fs::path(data_).parent_path()))
    if (e.path().filename().string().find(".old-") != std::string::npos) old = e.path().string();
  ASSERT_FALSE(old.empty()) << "the old data is kept";
  EXPECT_NE(r.output.find(old), std::string::npos) << "the error says where: " << r.output;
  EXPECT_TRUE(fs::exists(old + "/pgreplica-test-marker"));
  EXPECT_FALSE(fs::exists(Staging()));
  EXPECT_EQ(Slots(), slot) << "the temporary copy slot is dropped";
}

}  // namespace
}  // namespace pgreplica::testing

namespace pgreplica::testing {
namespace {

// While a re-clone copies, the old standby still streams through the host's slot and must be
// watched as a standby, not taken for part of the copy (the copy's walsenders share its
// application name and address).
TEST_F(CloneTest, StatusDuringARecloneStillShowsTheOldStandby) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto first = Clone({"--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  std::string slot = first.Json()["slot"];
  ASSERT_TRUE(StandbyStreams());
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  auto check = RunPgreplica(ws_, {"check", "--config", cfg_.path, "--expect", slot});
  EXPECT_EQ(check.code, 0) << check.output;
  auto status = RunPgreplica(ws_, {"status", "--config", cfg_.path, "--output", "json"});
  bool seen = false;
  const nlohmann::json doc = status.Json();
  for (const auto& node : doc["nodes"])
    for (const auto& w : node.value("walsenders", nlohmann::json::array()))
      if (w.value("slot_name", "") == slot) {
        seen = true;
        EXPECT_EQ(w.value("base_backup", true), false) << w.dump();
      }
  EXPECT_TRUE(seen) << status.output;
  EXPECT_TRUE(clone.Wait({.timeout = std::chrono::minutes(5)}).ok()) << clone.TailText();
}

}  // namespace
}  // namespace pgreplica::testing
