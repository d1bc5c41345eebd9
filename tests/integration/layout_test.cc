// Data directories as they are on real hosts, against real clusters: user tablespaces, a data
// directory that is a symbolic link or a mount point, other spellings of one path, a killed
// first clone, a server log the OS user cannot write, an empty target directory, dry runs that
// must change nothing, and decommission taking the clone's lock.

#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <iostream>

#include "support/clone_fixture.h"
#include "support/wait.h"

namespace pgreplica::testing {
namespace {

namespace fs = std::filesystem;

class LayoutTest : public CloneFixture {
 protected:
  struct Tablespace {
    std::string name, oid, primary_dir, standby_dir;
  };

  // A tablespace on the primary (in its own directory) with a table of `rows` rows, and the
  // location it gets on the standby's side (not created: the clone creates it).
  Tablespace AddTablespace(const std::string& name, int rows = 10000) {
    Tablespace t{name, "", ws_.MakeDir("primary-" + name), ws_.path() + "/standby-ts/" + name};
    ws_.MakeDir("standby-ts");
    EXPECT_TRUE(
        primary_->Sql(fmt::format("CREATE TABLESPACE {} LOCATION '{}'", name, t.primary_dir)));
    EXPECT_TRUE(primary_->Sql(
        fmt::format("CREATE TABLE t_{0} TABLESPACE {0} AS SELECT g AS v, repeat('x', 200) AS pad "
                    "FROM generate_series(1, {1}) g",
                    name, rows)));
    t.oid =
        primary_->Scalar("SELECT oid FROM pg_tablespace WHERE spcname = $1", {name}).value_or("?");
    return t;
  }

  // A configuration like the fixture's, with every tablespace mapped to its standby location.
  void MapTablespaces(const std::vector<Tablespace>& ts, const std::string& more = "") {
    std::string list;
    for (const auto& t : ts)
      list += fmt::format("{}'{}={}'", list.empty() ? "" : ", ", t.primary_dir, t.standby_dir);
    cfg_ = WriteConfig(ws_, *primary_,
                       fmt::format("  data_directory: {}\n  port: {}\n  tablespace_mapping: [{}]\n"
                                   "{}clone:\n  confirm_timeout: 60\n",
                                   data_, port_, list, more));
    ASSERT_EQ(RunPgpassFor(cfg_), 0);
  }
  int RunPgpassFor(const TestConfig& cfg) {
    return RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code;
  }

  // Names in `dir` that start with `prefix`.
  static std::vector<std::string> Named(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  bool StandbyReads(const Tablespace& t, int rows = 10000) {
    return standby_->WaitFor(fmt::format("SELECT count(*) = {} FROM t_{}", rows, t.name), 60);
  }
};

TEST_F(LayoutTest, TablespacesAreCopiedToTheirMappedLocations) {
  auto ts1 = AddTablespace("ts1"), ts2 = AddTablespace("ts2");
  // Without a mapping the primary's own tablespace directories (this host) are in the way: the
  // preflight refuses, and nothing is created anywhere.
  auto refused = Clone();
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("is not empty and is not a tablespace of the standby"),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("tablespace_mapping"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_FALSE(fs::exists(ts1.primary_dir + ".pgreplica-staging"));
  EXPECT_EQ(Slots(), "");

  MapTablespaces({ts1, ts2});
  auto r = Clone({"--output", "json"});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.Json()["plan"]["tablespaces"].size(), 2u) << r.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_TRUE(StandbyReads(ts1));
  EXPECT_TRUE(StandbyReads(ts2));
  for (const auto& t : {ts1, ts2}) {
    std::string link = data_ + "/pg_tblspc/" + t.oid;
    ASSERT_TRUE(fs::is_symlink(link)) << link;
    EXPECT_EQ(fs::read_symlink(link).string(), t.standby_dir);
    EXPECT_FALSE(Named(t.standby_dir, "PG_").empty()) << "the tablespace's files are there";
    EXPECT_FALSE(fs::exists(t.standby_dir + ".pgreplica-staging"));
  }
  // Data written later into a tablespace reaches the standby.
  ASSERT_TRUE(primary_->Sql("INSERT INTO t_ts2 SELECT g, 'late' FROM generate_series(1, 5) g"));
  EXPECT_TRUE(StandbyReads(ts2, 10005));
}

TEST_F(LayoutTest, RecloneWithTablespacesKeepsTheOldCopyWhole) {
  auto ts1 = AddTablespace("ts1"), ts2 = AddTablespace("ts2");
  MapTablespaces({ts1, ts2});
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyReads(ts1));
  ASSERT_TRUE(primary_->Sql("CREATE TABLE marker TABLESPACE ts1 AS SELECT 'before' AS v"));
  ASSERT_TRUE(standby_->WaitFor("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'marker')"));
  // Re-clone over the running standby, then change the marker: only the new standby sees it.
  auto second = Clone({"--output", "json"});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_TRUE(StandbyStreams());
  ASSERT_TRUE(primary_->Sql("UPDATE marker SET v = 'after'"));
  EXPECT_TRUE(standby_->WaitFor("SELECT v = 'after' FROM marker"));
  auto olds = Named(ws_.path() + "/standby", "data.old-");
  ASSERT_EQ(olds.size(), 1u);
  std::string stamp = olds[0].substr(olds[0].find(".old-"));
  // The old copy's links point at its own tablespace directories, moved aside with it.
  for (const auto& t : {ts1, ts2}) {
    EXPECT_EQ(fs::read_symlink(olds[0] + "/pg_tblspc/" + t.oid).string(), t.standby_dir + stamp);
    EXPECT_FALSE(Named(t.standby_dir + stamp, "PG_").empty());
    EXPECT_EQ(fs::read_symlink(data_ + "/pg_tblspc/" + t.oid).string(), t.standby_dir);
  }
  // The old copy starts as it is and still has the old value: it did not share a file with
  // the new standby.
  int old_port = FreePort();
  auto start = standby_->RunTool({"pg_ctl", "start", "-D", olds[0], "-l", ws_.path() + "/old.log",
                                  "-w", "-o", fmt::format("-p {}", old_port)});
  ASSERT_TRUE(start);
  ASSERT_TRUE(start->status.ok()) << start->output;
  auto old = Cluster::Adopt(ws_, "old", olds[0], old_port);
  EXPECT_TRUE(old->WaitFor("SELECT v = 'before' FROM marker")) << "the old copy kept its data";
  EXPECT_TRUE(old->WaitFor("SELECT count(*) = 10000 FROM t_ts2"));
  ASSERT_TRUE(old->Stop());
  // With keep_old 1 a third clone prunes the first copy together with its tablespaces.
  auto third = Clone();
  ASSERT_EQ(third.code, 0) << third.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_FALSE(fs::exists(olds[0])) << "pruned";
  for (const auto& t : {ts1, ts2}) {
    EXPECT_FALSE(fs::exists(t.standby_dir + stamp)) << "pruned with its data directory";
    EXPECT_EQ(Named(ws_.path() + "/standby-ts", t.name + ".old-").size(), 1u);
  }
  EXPECT_EQ(Named(ws_.path() + "/standby", "data.old-").size(), 1u);
}

TEST_F(LayoutTest, InterruptedRecloneLeavesTablespacesByteIdentical) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto ts1 = AddTablespace("ts1", 100000), ts2 = AddTablespace("ts2");
  MapTablespaces({ts1, ts2});
  Snapshot before = MakeStoppedStandby();
  Snapshot ts1_before = TakeSnapshot(ts1.standby_dir), ts2_before = TakeSnapshot(ts2.standby_dir);
  ASSERT_FALSE(ts1_before.empty());
  std::string slots = Slots();
  auto expect_tablespaces_intact = [&] {
    EXPECT_EQ(DescribeDifference(ts1_before, TakeSnapshot(ts1.standby_dir)), "");
    EXPECT_EQ(DescribeDifference(ts2_before, TakeSnapshot(ts2.standby_dir)), "");
    EXPECT_FALSE(fs::exists(ts1.standby_dir + ".pgreplica-staging")) << "staging left behind";
    EXPECT_FALSE(fs::exists(ts2.standby_dir + ".pgreplica-staging")) << "staging left behind";
  };
  {
    SCOPED_TRACE("SIGINT mid-copy");
    auto clone = StartSlowClone();
    ASSERT_NE(WaitForCopy(), 0);
    EXPECT_TRUE(fs::exists(ts1.standby_dir + ".pgreplica-staging")) << "the copy is staged";
    kill(clone.pid(), SIGINT);
    auto status = clone.Wait({.timeout = std::chrono::minutes(2)});
    EXPECT_EQ(status.code, 13) << clone.TailText();
    EXPECT_EQ(Slots(), slots);
    expect_tablespaces_intact();
    ExpectOldStandbyIntact(before);  // also starts the old standby and sees it stream
    ASSERT_TRUE(standby_->Stop());
    before = TakeSnapshot(data_);
    ts1_before = TakeSnapshot(ts1.standby_dir);
    ts2_before = TakeSnapshot(ts2.standby_dir);
  }
  {
    SCOPED_TRACE("SIGKILL mid-copy");
    auto clone = StartSlowClone();
    ASSERT_NE(WaitForCopy(), 0);
    kill(clone.pid(), SIGKILL);
    clone.Wait({.timeout = std::chrono::minutes(1)});
    EXPECT_EQ(DescribeDifference(before, TakeSnapshot(data_)), "");
    EXPECT_EQ(DescribeDifference(ts1_before, TakeSnapshot(ts1.standby_dir)), "");
    EXPECT_EQ(DescribeDifference(ts2_before, TakeSnapshot(ts2.standby_dir)), "");
    // The next run ends what the killed one left and succeeds.
    auto again = Clone();
    EXPECT_EQ(again.code, 0) << again.output;
    EXPECT_TRUE(StandbyStreams());
    EXPECT_TRUE(StandbyReads(ts1, 100000));
    EXPECT_FALSE(fs::exists(ts1.standby_dir + ".pgreplica-staging"));
    EXPECT_EQ(FindProcess({"pg_basebackup", Staging()}), 0);
  }
}

TEST_F(LayoutTest, ASymlinkedDataDirectoryStaysALink) {
  std::string volume = ws_.MakeDir("volume");
  std::string real = ws_.MakeDir("volume/pgdata");
  ASSERT_EQ(symlink(real.c_str(), data_.c_str()), 0) << strerror(errno);
  ASSERT_EQ(lchown(data_.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  auto first = Clone();
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_TRUE(StandbyStreams());
  ASSERT_TRUE(fs::is_symlink(data_));
  EXPECT_EQ(fs::read_symlink(data_).string(), real);
  EXPECT_TRUE(fs::exists(real + "/PG_VERSION"));
  auto second = Clone({"--output", "json"});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_NE(second.Json()["steps"][0]["message"].get<std::string>().find("/locks/pgdata-"),
            std::string::npos)
      << "the lock is named after the real directory";
  ASSERT_TRUE(fs::is_symlink(data_)) << "the user's layout is kept";
  EXPECT_EQ(fs::read_symlink(data_).string(), real);
  EXPECT_EQ(Named(volume, "pgdata.old-").size(), 1u) << "the old copy is beside the real directory";
  EXPECT_FALSE(fs::exists(real + ".pgreplica.lock")) << "no lock beside the data directory";
  EXPECT_TRUE(Named(ws_.path() + "/standby", "data.pgreplica").empty())
      << "nothing beside the link";
  EXPECT_TRUE(Named(ws_.path() + "/standby", "data.old-").empty()) << "nothing beside the link";
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.output.find("is a symbolic link to " + real), std::string::npos)
      << doctor.output;
  EXPECT_EQ(doctor.output.find("FAIL  data_directory"), std::string::npos) << doctor.output;
  auto gone = RunPgreplica(
      ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "--force"});
  EXPECT_EQ(gone.code, 0) << gone.output;
  EXPECT_EQ(Named(volume, "pgdata.decommissioned-").size(), 1u) << gone.output;
}

TEST_F(LayoutTest, OtherSpellingsOfTheDataDirectoryShareEverything) {
  auto plan = Clone({"--dry-run", "--output", "json", "-D", data_ + "/"});
  ASSERT_EQ(plan.code, 0) << plan.output;
  EXPECT_EQ(plan.Json()["plan"]["staging"], Staging()) << "beside it, not inside it";
  EXPECT_EQ(plan.Json()["plan"]["data_directory"], data_);
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto first = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  std::string other = ws_.path() + "/standby/../standby/./data/";
  auto second = Clone({"-D", other});
  EXPECT_EQ(second.code, 12) << second.output;
  EXPECT_NE(second.output.find("another pgreplica run is working on data directory"),
            std::string::npos)
      << second.output;
  auto status = first.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_TRUE(status.ok()) << first.TailText();
  EXPECT_TRUE(StandbyStreams());
  EXPECT_FALSE(fs::exists(data_ + "/.pgreplica.lock"));
  EXPECT_FALSE(fs::exists(data_ + "/.pgreplica-staging"));
}

TEST_F(LayoutTest, AMountPointIsRefusedBeforeAnythingChanges) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  ws_.MakeDir("standby/data");
  ASSERT_EQ(mount("tmpfs", data_.c_str(), "tmpfs", 0, "size=64m,mode=0700"), 0) << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{data_};
  ASSERT_EQ(chown(data_.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("is the root of a mounted filesystem"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("subdirectory of the mounted filesystem"), std::string::npos) << r.output;
  EXPECT_EQ(Slots(), "");
  EXPECT_FALSE(fs::exists(Staging()));
  EXPECT_TRUE(fs::is_empty(data_));
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.output.find("FAIL  data_directory"), std::string::npos) << doctor.output;
}

TEST_F(LayoutTest, DecommissionTakesTheCloneLockAndRefusesAPrimary) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  auto busy = RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop"});
  EXPECT_EQ(busy.code, 12) << busy.output;
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_TRUE(status.ok()) << clone.TailText();
  EXPECT_TRUE(StandbyStreams()) << "the decommission did nothing to the clone";
  // Pointed at the primary's own data directory, --stop refuses: it is not a standby.
  auto primary =
      RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "-D",
                         primary_->data_dir(), "--local-port", std::to_string(primary_->port())});
  EXPECT_EQ(primary.code, 1) << primary.output;
  EXPECT_NE(primary.output.find("is not a standby's data directory"), std::string::npos)
      << primary.output;
  EXPECT_TRUE(primary_->Running());
  EXPECT_TRUE(fs::exists(primary_->data_dir() + "/PG_VERSION"));
}

TEST_F(LayoutTest, ARunKilledDuringAFirstCloneIsCleanedUpByTheNext) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto clone = StartSlowClone();
  int basebackup = WaitForCopy();
  ASSERT_NE(basebackup, 0);
  kill(clone.pid(), SIGKILL);
  clone.Wait({.timeout = std::chrono::minutes(1)});
  // pg_basebackup dies with pgreplica, but the WAL streamer it forked may live on and hold the
  // new slot until it next looks at its pipe to the dead parent: what the next run must deal
  // with. How long it lives depends on timing (under load it can be gone at once), so its
  // presence is reported, not required; the next run must work either way.
  ASSERT_TRUE(WaitUntil([&] { return ProcessEnded(basebackup); }, std::chrono::seconds(30),
                        "pg_basebackup to die with pgreplica"));
  if (FindProcess({"pg_basebackup", Staging()}) == 0)
    std::cerr << "note: the WAL streamer had already exited; the next run finds only its slot\n";
  EXPECT_FALSE(fs::exists(data_));
  auto again = Clone({"--output", "json"});
  EXPECT_EQ(again.code, 0) << again.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_EQ(FindProcess({"pg_basebackup", Staging()}), 0);
  EXPECT_EQ(Slots(), again.Json()["slot"].get<std::string>());
}

TEST_F(LayoutTest, AServerLogTheOsUserCannotWriteIsFoundInThePreflight) {
  if (geteuid() != 0) GTEST_SKIP() << "needs a directory the OS user cannot write";
  std::string root_only = ws_.path() + "/root-only";
  ASSERT_EQ(mkdir(root_only.c_str(), 0755), 0);
  auto cfg = WriteConfig(ws_, *primary_,
                         fmt::format("  data_directory: {}\n  port: {}\n  service:\n"
                                     "    log_file: {}/server.log\n",
                                     data_, port_, root_only));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto r = RunPgreplica(ws_, {"clone", "--config", cfg.path});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  server_log"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_EQ(Slots(), "");
}

TEST_F(LayoutTest, AnEmptyTargetDirectoryIsPutBackAfterAFailedStart) {
  std::string dir = ws_.MakeDir("standby/data");
  ASSERT_EQ(chmod(dir.c_str(), 0750), 0);
  auto cfg = WriteConfig(
      ws_, *primary_,
      fmt::format(
          "  data_directory: {}\n  port: {}\n  service:\n    type: custom\n"
          "    start: [sh, -c, 'exit 1']\n    stop: ['true']\n    status: [sh, -c, 'exit 3']\n",
          data_, port_));
  ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg.path}).code, 0);
  auto r = RunPgreplica(ws_, {"clone", "--config", cfg.path});
  EXPECT_EQ(r.code, 11) << r.output;
  ASSERT_TRUE(fs::is_directory(data_)) << "the empty directory is back";
  EXPECT_TRUE(fs::is_empty(data_));
  struct stat st {};
  ASSERT_EQ(stat(data_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, TestEnv::Get().os_user.uid);
  EXPECT_FALSE(fs::exists(Staging()));
}

TEST_F(LayoutTest, FilesCreatedInAnEmptyTargetDuringTheCopyAreKept) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  ws_.MakeDir("standby/data");
  auto clone = StartSlowClone();
  ASSERT_NE(WaitForCopy(), 0);
  std::ofstream(data_ + "/written-during-the-copy") << "keep me\n";
  auto status = clone.Wait({.timeout = std::chrono::minutes(5)});
  EXPECT_TRUE(status.ok()) << clone.TailText();
  EXPECT_TRUE(StandbyStreams());
  auto olds = Named(ws_.path() + "/standby", "data.old-");
  ASSERT_EQ(olds.size(), 1u) << "the directory was no longer empty, so it was kept";
  EXPECT_TRUE(fs::exists(olds[0] + "/written-during-the-copy"));
}

TEST_F(LayoutTest, DryRunsCreateLockAndChangeNothing) {
  auto first = Clone();
  ASSERT_EQ(first.code, 0) << first.output;
  ASSERT_TRUE(standby_->Stop());
  const std::vector<std::string> skip = {"primary", "stdin."};  // the primary runs; RunPgreplica
  TreeSnapshot before = TakeTreeSnapshot(ws_.path(), skip);
  auto dry = Clone({"--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.output;
  auto dry_decommission = RunPgreplica(
      ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "--dry-run"});
  EXPECT_EQ(dry_decommission.code, 0) << dry_decommission.output;
  EXPECT_EQ(DescribeDifference(before, TakeTreeSnapshot(ws_.path(), skip)), "");
  // A data directory at the root, or one that does not exist yet: no lock file appears.
  std::string nowhere = fmt::format("/pgreplica-dry-run-{}", getpid());
  auto missing = Clone({"--dry-run", "-D", nowhere});
  EXPECT_FALSE(fs::exists(nowhere + ".pgreplica.lock")) << missing.output;
  EXPECT_FALSE(fs::exists(nowhere));
  auto root = Clone({"--dry-run", "-D", "/"});
  EXPECT_NE(root.code, 0) << root.output;
  EXPECT_FALSE(fs::exists("/.pgreplica.lock"));
  EXPECT_FALSE(fs::exists("/.pgreplica-staging"));
}

// A standby on the primary's host replays CREATE TABLESPACE into the primary's own directory.
// Re-cloning it (with the mapping it should have had) and retiring it must never move that
// directory: the primary still uses it.
TEST_F(LayoutTest, ATablespaceDirectorySharedWithThePrimaryIsNeverMoved) {
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyStreams());
  std::string shared = ws_.MakeDir("primary-ts3");
  ASSERT_TRUE(primary_->Sql(fmt::format("CREATE TABLESPACE ts3 LOCATION '{}'", shared)));
  ASSERT_TRUE(
      primary_->Sql("CREATE TABLE t3 TABLESPACE ts3 AS SELECT g FROM generate_series(1, "
                    "1000) g"));
  std::string oid =
      primary_->Scalar("SELECT oid FROM pg_tablespace WHERE spcname = 'ts3'").value_or("?");
  ASSERT_TRUE(standby_->WaitFor("SELECT count(*) = 1000 FROM t3"));
  ASSERT_EQ(fs::read_symlink(data_ + "/pg_tblspc/" + oid).string(), shared)
      << "the standby shares the primary's directory";
  Snapshot primary_ts = TakeSnapshot(shared);
  ws_.MakeDir("standby-ts");
  std::string own = ws_.path() + "/standby-ts/ts3";
  auto r = Clone({"-T", shared + "=" + own});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("shares this tablespace directory with another server"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_TRUE(standby_->WaitFor("SELECT count(*) = 1000 FROM t3"));
  EXPECT_EQ(fs::read_symlink(data_ + "/pg_tblspc/" + oid).string(), own);
  EXPECT_TRUE(fs::exists(shared)) << "the primary's directory stays where it is";
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM t3").value_or(""), "1000");
  EXPECT_TRUE(Named(ws_.path(), "primary-ts3.").empty()) << "nothing moved beside it";
  // Another clone prunes the first copy; the primary's directory is not its to remove.
  ASSERT_EQ(Clone({"-T", shared + "=" + own, "--no-keep-old"}).code, 0);
  EXPECT_TRUE(fs::exists(shared));
  EXPECT_EQ(primary_->Scalar("SELECT count(*) FROM t3").value_or(""), "1000");
  EXPECT_FALSE(TakeSnapshot(shared).empty());
}

TEST_F(LayoutTest, AFullPrimaryCountsItsWalSendersRight) {
  ASSERT_TRUE(primary_->Sql("ALTER SYSTEM SET max_wal_senders = 3"));
  ASSERT_TRUE(primary_->Restart());
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyStreams());
  // One sender streams to the standby; the copy needs the other two (the preflight's own
  // replication connection does not count).
  auto r = Clone({"--dry-run", "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  const nlohmann::json doc = r.Json();
  bool found = false;
  for (const auto& item : doc.at("preflight").at("checks")) {
    if (item.at("name") == "wal_senders") {
      found = true;
      EXPECT_EQ(item.at("value"), "2") << item.dump();
    }
  }
  EXPECT_TRUE(found) << r.output;
  EXPECT_EQ(Clone().code, 0) << "and the re-clone works";
}

TEST_F(LayoutTest, DecommissionChecksEverythingBeforeItStopsTheStandby) {
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyStreams());
  // A dry run on the running standby predicts the real run: stop, then drop the slot.
  auto dry = RunPgreplica(
      ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("would stop the local standby"), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("would drop slot"), std::string::npos) << dry.output;
  EXPECT_EQ(dry.output.find("would end walsender"), std::string::npos) << dry.output;
  // A data directory that cannot be moved: refused before anything is stopped or dropped.
  ASSERT_EQ(symlink("/proc", (data_ + "/pg_tblspc/99999").c_str()), 0);
  std::string slots = Slots();
  auto refused =
      RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data"});
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("Nothing was stopped, moved or dropped"), std::string::npos)
      << refused.output;
  EXPECT_TRUE(StandbyStreams()) << "still running";
  EXPECT_EQ(Slots(), slots);
  fs::remove(data_ + "/pg_tblspc/99999");
}

// SIGKILL in the middle of the swap (here: at the start of the new copy, when every rename is
// done): the old standby and its tablespace are aside, the new copy in place. The journal lets
// doctor report it and the next clone put the old standby back before it starts.
TEST_F(LayoutTest, ARunKilledInTheMiddleOfTheSwapIsPutBackByTheNext) {
  auto ts1 = AddTablespace("ts1");
  MapTablespaces({ts1});
  Snapshot before = MakeStoppedStandby();
  Snapshot ts_before = TakeSnapshot(ts1.standby_dir);
  auto killer =
      WriteConfig(ws_, *primary_,
                  fmt::format("  data_directory: {}\n  port: {}\n  tablespace_mapping: ['{}={}']\n"
                              "  service:\n    type: custom\n    start: [sh, -c, 'kill -9 $PPID']\n"
                              "    stop: ['true']\n    status: [sh, -c, 'exit 3']\n",
                              data_, port_, ts1.primary_dir, ts1.standby_dir));
  ASSERT_EQ(RunPgpassFor(killer), 0);
  auto killed = RunPgreplica(ws_, {"clone", "--config", killer.path});
  EXPECT_NE(killed.code, 0) << killed.output;
  ASSERT_EQ(Named(ws_.path() + "/standby", "data.old-").size(), 1u) << "the kill left it aside";
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.output.find("FAIL  interrupted_swap"), std::string::npos) << doctor.output;
  auto dry = Clone({"--dry-run"});
  EXPECT_NE(dry.output.find("was interrupted"), std::string::npos) << dry.output;
  auto again = Clone({"--output", "json"});
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("put \\\"" + data_ + "\\\" back"), std::string::npos) << again.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_TRUE(StandbyReads(ts1));
  // The original old standby went through all this untouched: it is this run's kept copy.
  auto olds = Named(ws_.path() + "/standby", "data.old-");
  ASSERT_EQ(olds.size(), 1u);
  EXPECT_EQ(DescribeDifference(before, TakeSnapshot(olds[0])), "");
  std::string stamp = olds[0].substr(olds[0].find(".old-"));
  EXPECT_EQ(DescribeDifference(ts_before, TakeSnapshot(ts1.standby_dir + stamp)), "");
  // The copy the killed run had moved in is kept for study, with its own tablespace.
  auto failed = Named(ws_.path() + "/standby", "data.failed-");
  ASSERT_EQ(failed.size(), 1u);
  std::string fstamp = failed[0].substr(failed[0].find(".failed-"));
  EXPECT_EQ(fs::read_symlink(failed[0] + "/pg_tblspc/" + ts1.oid).string(),
            ts1.standby_dir + fstamp);
  doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_EQ(doctor.output.find("interrupted_swap"), std::string::npos) << doctor.output;
}

TEST_F(LayoutTest, DecommissionCleansUpAfterAKilledClone) {
  ASSERT_TRUE(primary_->PgbenchInit(5));
  auto ts1 = AddTablespace("ts1", 100000);
  MapTablespaces({ts1});
  ASSERT_EQ(Clone().code, 0);
  auto clone = StartSlowClone();
  int basebackup = WaitForCopy();
  ASSERT_NE(basebackup, 0);
  kill(clone.pid(), SIGKILL);
  clone.Wait({.timeout = std::chrono::minutes(1)});
  // pg_basebackup dies with pgreplica; what is left running is the WAL streamer it forked.
  ASSERT_TRUE(WaitUntil([&] { return ProcessEnded(basebackup); }, std::chrono::seconds(30),
                        "pg_basebackup to die with pgreplica"));
  ASSERT_NE(FindProcess({"pg_basebackup", Staging()}), 0) << "the WAL streamer is left behind";
  ASSERT_NE(Slots().find("pgreplica_copy_"), std::string::npos) << Slots();
  auto d = RunPgreplica(
      ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "--output", "json"});
  EXPECT_EQ(d.code, 0) << d.output;
  // The job record says what was done, and so does its log.
  std::string id = d.Json().value("job", "");
  auto show = RunPgreplica(ws_, {"jobs", "show", id, "--config", cfg_.path});
  EXPECT_NE(show.output.find("arguments: --stop --remove-data"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("decommission"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("ended pg_basebackup"), std::string::npos) << show.output;
  EXPECT_NE(ReadFile(cfg_.state_dir + "/jobs/" + id + ".log").value_or("").find("moved"),
            std::string::npos);
  EXPECT_EQ(FindProcess({"pg_basebackup", Staging()}), 0);
  EXPECT_FALSE(fs::exists(Staging()));
  EXPECT_FALSE(fs::exists(ts1.standby_dir + ".pgreplica-staging"));
  EXPECT_EQ(Slots(), "") << "the host's slot and the copy slot are dropped";
}

TEST_F(LayoutTest, ATablespaceMappedInsideAnotherIsRefused) {
  auto ts1 = AddTablespace("ts1");
  MapTablespaces({ts1});
  ASSERT_EQ(Clone().code, 0);
  auto r = Clone({"-T", ts1.primary_dir + "=" + ts1.standby_dir + "/nested"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("overlaps the tablespace directory"), std::string::npos) << r.output;
  EXPECT_TRUE(StandbyReads(ts1)) << "the standby runs on";
}

TEST_F(LayoutTest, ADataDirectoryThatTheShellWouldMangleIsRefusedBeforeTheCopy) {
  std::string odd = ws_.MakeDir("dollar$HOME");
  ASSERT_EQ(symlink(odd.c_str(), data_.c_str()), 0);
  ASSERT_EQ(lchown(data_.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("would pass through the shell"), std::string::npos) << r.output;
  EXPECT_EQ(Slots(), "");
  EXPECT_TRUE(fs::is_empty(odd));
}

TEST_F(LayoutTest, ATablespaceInsideAnOldCopyIsRefused) {
  auto ts1 = AddTablespace("ts1");
  MapTablespaces({ts1});
  ASSERT_EQ(Clone().code, 0);
  auto r = Clone({"-T", ts1.primary_dir + "=" + data_ + ".old-20991231T000000Z/ts1"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("a copy that pgreplica keeps or removes"), std::string::npos) << r.output;
}

TEST_F(LayoutTest, DecommissionWithoutThePrimaryStopsNothing) {
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyStreams());
  std::string wrong = ws_.WriteFile("wrong.pgpass", "*:*:*:postgres:wrong\n");
  auto r = RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data",
                              "--admin-passfile", wrong});
  EXPECT_EQ(r.code, 8) << r.output;
  EXPECT_NE(r.output.find("Nothing was stopped, moved or dropped"), std::string::npos) << r.output;
  EXPECT_TRUE(StandbyStreams()) << "still running, still in place";
  auto other = RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--node", "other-host",
                                  "--stop", "--remove-data"});
  EXPECT_EQ(other.code, 2) << other.output;
  EXPECT_TRUE(StandbyStreams());
}

// A standby promoted by mistake has the primary's system identifier but is not the primary: the
// preflight says so, and --force re-clones it.
TEST_F(LayoutTest, APromotedStandbyIsToldApartFromThePrimary) {
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(StandbyStreams());
  auto promote = standby_->RunTool({"pg_ctl", "promote", "-D", data_, "-w"});
  ASSERT_TRUE(promote && promote->status.ok());
  ASSERT_TRUE(standby_->WaitFor("SELECT NOT pg_is_in_recovery()"));
  auto r = Clone({"--dry-run"});
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("was promoted"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("is the primary itself"), std::string::npos) << r.output;
  auto forced = Clone({"--force"});
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_TRUE(StandbyStreams());
}

}  // namespace
}  // namespace pgreplica::testing
