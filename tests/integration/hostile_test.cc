// A hostile (or careless) PostgreSQL OS user, against pgreplica running as root. The data
// directory's parent, the OS user's home and the staging directory belong to that user, so it
// can plant a symbolic link wherever root will open, create, truncate, chown, move or remove
// something. Each test plants links to a root-owned canary file and directory, runs clone,
// swap, prune, decommission, pgpass or doctor, and checks that the canary did not change
// (content, owner, mode, listing) and that its content never appears in any output. Needs root
// (skipped otherwise): without root there is nothing to escalate to.

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>

#include "support/clone_fixture.h"
#include "support/root_config.h"
#include "support/wait.h"

namespace pgreplica::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCanaryText = "canary: root's secret, never to be read or changed\n";

class HostileTest : public CloneFixture {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "a hostile OS user only matters against root";
    CloneFixture::SetUp();
    auto dir = TempDir::Create("/tmp", fmt::format("pgreplica-canary-{}-", getpid()));
    ASSERT_TRUE(dir);
    canary_root_.emplace(std::move(*dir));
    ASSERT_EQ(chmod(canary_root_->path().c_str(), 0755), 0);
    canary_file_ = canary_root_->path() + "/canary";
    canary_dir_ = canary_root_->path() + "/canary.d";
    ASSERT_TRUE(WriteFileAtomic(canary_file_, kCanaryText, 0600, Owner{0, 0}));
    ASSERT_EQ(mkdir(canary_dir_.c_str(), 0700), 0);
    ASSERT_TRUE(WriteFileAtomic(canary_dir_ + "/keep", kCanaryText, 0600, Owner{0, 0}));
    ASSERT_EQ(mkdir((canary_dir_ + "/PG_VERSION").c_str(), 0700), 0);
    before_ = Canary();
  }

  // The canary's state: every entry with its content, owner and mode.
  std::string Canary() const {
    std::string out;
    for (const auto& p : {canary_file_, canary_dir_, canary_dir_ + "/keep"}) {
      struct stat st {};
      if (lstat(p.c_str(), &st) != 0) {
        out += p + ": missing\n";
        continue;
      }
      out += fmt::format("{}: mode {:o} uid {} gid {} size {} nlink {}\n", p, st.st_mode, st.st_uid,
                         st.st_gid, S_ISDIR(st.st_mode) ? 0 : st.st_size, st.st_nlink);
      if (S_ISREG(st.st_mode)) out += ReadFile(p).value_or("(unreadable)");
    }
    for (const auto& e : fs::directory_iterator(canary_dir_)) out += e.path().string() + "\n";
    return out;
  }
  void ExpectCanaryUnchanged(const CliResult& r) {
    EXPECT_EQ(Canary(), before_) << r.output;
    EXPECT_EQ(r.output.find("canary: root's secret"), std::string::npos) << r.output;
  }

  // A symbolic link at `path` to `target`, owned by the OS user (as if it had planted it).
  void Plant(const std::string& path, const std::string& target) {
    std::error_code ec;
    fs::remove(path, ec);
    ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0) << path << ": " << strerror(errno);
    ASSERT_EQ(lchown(path.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  }

  // pg_basebackup that does `after` as the OS user once the copy is complete ($d: the copy).
  std::string HostileBindir(const std::string& after) {
    return BindirWithPgBasebackupThen("hostile-bin", after);
  }

  static std::vector<std::string> Named(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
    return out;
  }

  std::optional<TempDir> canary_root_;
  std::string canary_file_, canary_dir_, before_;
};

// The lock lives in the state directory, which the OS user cannot write: a file planted where
// earlier versions kept it is neither opened nor obeyed, and the lock cannot be removed under a
// running clone.
TEST_F(HostileTest, TheLockIsWhereTheOsUserCannotTouchIt) {
  Plant(data_ + ".pgreplica.lock", canary_file_);
  auto r = Clone({"--output", "json"});
  EXPECT_EQ(r.code, 0) << r.output;
  ExpectCanaryUnchanged(r);
  std::string lock = r.Json()["steps"][0]["message"];
  EXPECT_EQ(lock.rfind(cfg_.state_dir + "/locks/", 0), 0u) << lock;
  struct stat st {};
  ASSERT_EQ(stat((cfg_.state_dir + "/locks").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 077, 0u);
}

TEST_F(HostileTest, AStateDirectoryOfTheOsUserIsRefused) {
  std::string state = ws_.MakeDir("state");  // belongs to the OS user
  auto r = Clone({"--state-directory", state});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("is not private"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(data_));
  // Root's own directory inside one of the OS user's: the OS user could rename it away.
  auto inside = Clone({"--state-directory", ws_.path() + "/state2"});
  EXPECT_EQ(inside.code, 6) << inside.output;
  EXPECT_NE(inside.output.find("which user \"" + TestEnv::Get().os_user.name), std::string::npos)
      << inside.output;
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(HostileTest, ALinkInPlaceOfStagingIsRemovedNotFollowed) {
  Plant(Staging(), canary_dir_);
  auto r = Clone();
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(StandbyStreams());
  EXPECT_FALSE(fs::exists(Staging()));
  ExpectCanaryUnchanged(r);
}

TEST_F(HostileTest, ALinkAmongTheOldCopiesIsNeverPruned) {
  Plant(data_ + ".old-19990101T000000Z", canary_dir_);
  ASSERT_EQ(Clone().code, 0);
  auto r = Clone({"--no-keep-old"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(StandbyStreams());
  ExpectCanaryUnchanged(r);
}

TEST_F(HostileTest, APasswordFileLinkIsNeitherReadNorWritten) {
  Plant(cfg_.pgpass_file, canary_file_);
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("symbolic link"), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  EXPECT_TRUE(fs::is_symlink(cfg_.pgpass_file)) << "not replaced by a copy of the canary";
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.output.find("is a symbolic link"), std::string::npos) << doctor.output;
  ExpectCanaryUnchanged(doctor);
}

TEST_F(HostileTest, AServerLogLinkToARootFileIsRefused) {
  Plant(data_ + ".log", canary_file_);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  server_log"), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  EXPECT_FALSE(fs::exists(data_));
}

TEST_F(HostileTest, ALinkInPlaceOfTheCopysAutoConfIsNeverAppendedTo) {
  auto first = Clone({"--output", "json"});
  ASSERT_EQ(first.code, 0) << first.output;
  std::string slot = first.Json()["slot"];
  std::string bin = HostileBindir(fmt::format(
      "rm -f \"$d/postgresql.auto.conf\"; ln -s {} \"$d/postgresql.auto.conf\"", canary_file_));
  auto r = Clone({"--bindir", bin});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("postgresql.auto.conf"), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  EXPECT_TRUE(StandbyStreams()) << "the old standby runs on";
  EXPECT_FALSE(fs::exists(Staging()));
  EXPECT_EQ(Slots(), slot);
}

TEST_F(HostileTest, AStagingDirectorySwappedForALinkIsNeverMovedIn) {
  std::string bin =
      HostileBindir(fmt::format("mv \"$d\" \"$d.moved\" && ln -s {} \"$d\"", canary_dir_));
  auto r = Clone({"--bindir", bin, "--no-verify"});
  EXPECT_EQ(r.code, 6) << r.output;
  // Refused where the staging directory is next opened after the copy (to fit the copy's
  // primary_conninfo), or by the swap's check that it is the directory the copy was made in.
  EXPECT_TRUE(r.output.find("is not the directory the copy was made in") != std::string::npos ||
              r.output.find("is a symbolic link, not a directory") != std::string::npos)
      << r.output;
  ExpectCanaryUnchanged(r);
  EXPECT_FALSE(fs::exists(data_)) << "nothing was moved into place";
  EXPECT_FALSE(fs::is_symlink(data_));
  EXPECT_FALSE(fs::is_symlink(Staging()));
}

TEST_F(HostileTest, ADataDirectoryLinkToARootDirectoryIsRefused) {
  Plant(data_, canary_dir_);
  auto r = Clone();
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_NE(r.output.find("which belongs to user \"root\""), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  auto d = RunPgreplica(
      ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data", "--force"});
  EXPECT_EQ(d.code, 6) << d.output;
  ExpectCanaryUnchanged(d);
  auto doctor = RunPgreplica(ws_, {"doctor", "--config", cfg_.path});
  EXPECT_NE(doctor.output.find("FAIL  data_directory"), std::string::npos) << doctor.output;
  ExpectCanaryUnchanged(doctor);
  EXPECT_EQ(Slots(), "");
}

TEST_F(HostileTest, ATablespaceLinkToARootDirectoryIsNeverMoved) {
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(standby_->Stop());
  Plant(data_ + "/pg_tblspc/99999", canary_dir_);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("(uid 0)"), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  auto d = RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data"});
  EXPECT_EQ(d.code, 1) << d.output;
  ExpectCanaryUnchanged(d);
  EXPECT_TRUE(fs::exists(data_ + "/PG_VERSION")) << "the data directory was not moved either";
}

// A tablespace location comes from the primary, whose owner can point it anywhere (its
// pg_tblspc link): root must not create or rename anything in a directory of root's for it.
TEST_F(HostileTest, ATablespaceLocationThePrimaryChoseInARootDirectoryIsRefused) {
  std::string ts = ws_.MakeDir("primary-ts");
  ASSERT_TRUE(primary_->Sql(fmt::format("CREATE TABLESPACE evil LOCATION '{}'", ts)));
  std::string oid =
      primary_->Scalar("SELECT oid FROM pg_tablespace WHERE spcname = 'evil'").value_or("?");
  std::string target = canary_dir_ + "/evil.d";  // does not exist: an empty tablespace to copy
  Plant(primary_->data_dir() + "/pg_tblspc/" + oid, target);
  auto r = Clone();
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL  tablespace"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("which belongs to user \"root\""), std::string::npos) << r.output;
  ExpectCanaryUnchanged(r);
  EXPECT_FALSE(fs::exists(target + ".pgreplica-staging"));
  EXPECT_FALSE(fs::exists(data_));
}

// A password file link to a root-only file with the right password: pgreplica (root) must not
// read it, so its own connection to the primary gets no password from it.
TEST_F(HostileTest, APasswordFileLinkToRootsSecretIsNeverUsed) {
  std::string root_pgpass = canary_root_->path() + "/root.pgpass";
  ASSERT_TRUE(
      WriteFileAtomic(root_pgpass, ReadFile(cfg_.pgpass_file).value_or(""), 0600, Owner{0, 0}));
  Plant(cfg_.pgpass_file, root_pgpass);
  auto r = Clone({"--dry-run", "--output", "json"});
  EXPECT_EQ(r.code, 1) << r.output;
  const nlohmann::json doc = r.Json();
  int seen = 0;
  for (const auto& item : doc.at("preflight").at("checks")) {
    if (item.at("name") == "pgpass_file") {
      ++seen;
      EXPECT_EQ(item.at("status"), "fail") << item.dump();
    }
    if (item.at("name") == "replication_connection") {
      ++seen;
      EXPECT_NE(item.at("status"), "ok") << "connected with root's secret: " << item.dump();
    }
  }
  EXPECT_EQ(seen, 2) << r.output;
  ExpectCanaryUnchanged(r);
}

// The OS user can rename a root directory inside a directory it owns; root must not then
// remove it as a leftover copy or as staging.
TEST_F(HostileTest, ARootDirectoryRenamedIntoACopysNameIsNotRemoved) {
  ASSERT_EQ(Clone().code, 0);
  for (const std::string& name : {data_ + ".old-00000000T000000Z", Staging()}) {
    SCOPED_TRACE(name);
    std::string backup = ws_.path() + "/standby/rootbackup";
    ASSERT_EQ(mkdir(backup.c_str(), 0700), 0);
    ASSERT_TRUE(WriteFileAtomic(backup + "/dump.sql", kCanaryText, 0600, Owner{0, 0}));
    ASSERT_EQ(rename(backup.c_str(), name.c_str()), 0);  // as the OS user could
    auto r = Clone({"--no-keep-old"});
    EXPECT_TRUE(fs::exists(name + "/dump.sql")) << r.output;
    EXPECT_EQ(ReadFile(name + "/dump.sql").value_or(""), kCanaryText);
    EXPECT_NE(r.output.find("belongs to user \"root\""), std::string::npos) << r.output;
    fs::remove_all(name);
  }
}

// Links in the old standby's pg_tblspc and the data directory's own link are the OS user's:
// they must not make root rename or delete anything in a directory of root's.
TEST_F(HostileTest, LinksIntoARootDirectoryNeverMoveOrDeleteWhatIsThere) {
  std::string dir = canary_root_->path() + "/theirs";  // the OS user's, in a root directory
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chown(dir.c_str(), TestEnv::Get().os_user.uid, TestEnv::Get().os_user.gid), 0);
  ASSERT_EQ(mkdir((dir + "/rootsub").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(dir + "/rootsub/f", kCanaryText, 0600, Owner{0, 0}));
  ASSERT_EQ(Clone().code, 0);
  ASSERT_TRUE(standby_->Stop());
  Plant(data_ + "/pg_tblspc/99999", dir);
  auto r = Clone({"--no-keep-old"});
  EXPECT_EQ(r.code, 1) << r.output;
  auto d = RunPgreplica(ws_, {"decommission", "--config", cfg_.path, "--stop", "--remove-data"});
  EXPECT_NE(d.code, 0) << d.output;
  EXPECT_EQ(ReadFile(dir + "/rootsub/f").value_or(""), kCanaryText) << r.output << d.output;
  EXPECT_TRUE(Named(canary_root_->path(), "theirs.").empty()) << "nothing renamed beside it";
  fs::remove(data_ + "/pg_tblspc/99999");
  // The data directory itself as a link of the OS user's into that directory.
  fs::remove_all(data_);
  Plant(data_, dir);
  auto l = Clone();
  EXPECT_EQ(l.code, 6) << l.output;
  EXPECT_EQ(ReadFile(dir + "/rootsub/f").value_or(""), kCanaryText) << l.output;
  EXPECT_TRUE(Named(canary_root_->path(), "theirs.").empty());
}

TEST_F(HostileTest, ARootFileRenamedIntoThePasswordFileIsNotCopied) {
  std::string root_file = ws_.path() + "/root-backup.cred";
  ASSERT_TRUE(WriteFileAtomic(root_file, kCanaryText, 0600, Owner{0, 0}));
  fs::remove(cfg_.pgpass_file);
  ASSERT_EQ(rename(root_file.c_str(), cfg_.pgpass_file.c_str()), 0);  // as the OS user could
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_EQ(ReadFile(cfg_.pgpass_file).value_or(""), kCanaryText) << "left as it was";
  struct stat st {};
  ASSERT_EQ(stat(cfg_.pgpass_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "not handed to the OS user";
}

// The local standby's port belongs to whoever runs there: the PostgreSQL OS user can stop the
// standby and listen on it. Nothing pgreplica runs as root may send the primary's admin password
// there (clone --if-needed and its confirmation, status, check).
TEST_F(HostileTest, ThePrimarysAdminPasswordIsNeverSentToTheLocalPort) {
  // The configuration as a real host has it: no login of its own for the local standby.
  std::string text = ReadFile(cfg_.path).value_or("");
  auto last = text.rfind("  admin_passfile:");
  ASSERT_NE(last, std::string::npos);
  text.erase(last, text.find('\n', last) - last + 1);
  std::string config = WriteConfigFile(ws_, "no-local-login.yaml", text);
  std::string log = ws_.path() + "/fake-server.log";
  std::string listening = ws_.path() + "/fake-server.listening";
  // A server on the standby's port, run by the OS user, that asks for a clear-text password.
  std::string script = fmt::format(R"PY(
import socket, struct
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", {})); s.listen(8)
open("{}", "w").close()
while True:
    c, _ = s.accept()
    try:
        while True:  # SSL and GSS encryption requests are declined, then comes the startup
            n = struct.unpack("!I", c.recv(4))[0]; body = c.recv(n - 4)
            if struct.unpack("!I", body[:4])[0] in (80877103, 80877104):
                c.sendall(b"N")
                continue
            break
        c.sendall(b"R" + struct.pack("!II", 8, 3))
        data = c.recv(4096)
        open("{}", "ab").write(data + b"\n")
    except Exception:
        pass
    c.close()
)PY",
                                   port_, listening, log);
  auto fake = proc::Child::Start({.argv = {"/usr/bin/python3", "-c", script},
                                  .run_as = TestEnv::Get().os_user,
                                  .die_with_parent = true});
  ASSERT_TRUE(fake) << fake.error().message;
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(listening) || !fake->Poll(); },
                        std::chrono::seconds(30), "the fake server to listen"));
  ASSERT_TRUE(fs::exists(listening)) << "the fake server ended before it listened";
  auto c = RunPgreplica(ws_, {"clone", "--config", config, "--if-needed", "--dry-run"});
  auto st = RunPgreplica(ws_, {"status", "--config", config});
  auto ck = RunPgreplica(ws_, {"check", "--config", config});
  std::string seen = ReadFile(log).value_or("");
  EXPECT_EQ(seen.find(Cluster::kSuperPassword), std::string::npos)
      << "the fake server received the admin password";
  EXPECT_EQ(c.output.find(Cluster::kSuperPassword), std::string::npos);
}

TEST_F(HostileTest, AReplicationSecretsFileLinkIsNotRead) {
  std::string secret = canary_root_->path() + "/root.secret";
  ASSERT_TRUE(WriteFileAtomic(secret, "ROOT-ONLY-CANARY-SECRET\n", 0600, Owner{0, 0}));
  std::string planted = ws_.path() + "/replication.secret";
  Plant(planted, secret);
  std::string before = ReadFile(cfg_.pgpass_file).value_or("");
  auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path, "--password-file", planted});
  EXPECT_EQ(r.code, 6) << r.output;
  EXPECT_EQ(ReadFile(cfg_.pgpass_file).value_or(""), before) << "the password file is untouched";
  EXPECT_EQ(ReadFile(cfg_.pgpass_file).value_or("").find("ROOT-ONLY-CANARY"), std::string::npos);
}

// An old copy's tablespace links are the OS user's to point anywhere: pruning removes only what
// that user could remove itself, and never enters a bind mount.
TEST_F(HostileTest, PruningFollowsNoOldCopyLinkIntoRootsDirectories) {
  ASSERT_EQ(Clone().code, 0);
  const auto& u = TestEnv::Get().os_user;
  std::string old = data_ + ".old-keep";
  ASSERT_EQ(mkdir(old.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((old + "/pg_tblspc").c_str(), 0700), 0);
  std::string theirs = canary_root_->path() + "/pgfile.old-keep";  // the OS user's, in root's
  ASSERT_EQ(mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(chown(theirs.c_str(), u.uid, u.gid), 0);
  std::string roots_link = canary_root_->path() + "/alternative.old-keep";
  ASSERT_EQ(symlink(canary_file_.c_str(), roots_link.c_str()), 0);
  Plant(old + "/pg_tblspc/1", theirs);
  Plant(old + "/pg_tblspc/2", roots_link);
  for (const auto& p : {old, old + "/pg_tblspc"}) ASSERT_EQ(chown(p.c_str(), u.uid, u.gid), 0);
  auto r = Clone({"--no-keep-old"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(theirs)) << r.output;
  EXPECT_TRUE(fs::is_symlink(roots_link)) << r.output;
  ExpectCanaryUnchanged(r);
  // A bind mount inside an old copy (same filesystem, so rm --one-file-system would enter it).
  std::string keep = ws_.MakeDir("keepme");
  ASSERT_TRUE(WriteFileAtomic(keep + "/archive.wal", kCanaryText, 0600, Owner{u.uid, u.gid}));
  std::string bind = data_ + ".old-bind";
  ASSERT_EQ(mkdir(bind.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((bind + "/sub").c_str(), 0700), 0);
  for (const auto& p : {bind, bind + "/sub"}) ASSERT_EQ(chown(p.c_str(), u.uid, u.gid), 0);
  ASSERT_EQ(mount(keep.c_str(), (bind + "/sub").c_str(), nullptr, MS_BIND, nullptr), 0);
  auto b = Clone({"--no-keep-old"});
  umount2((bind + "/sub").c_str(), MNT_DETACH);
  EXPECT_EQ(ReadFile(keep + "/archive.wal").value_or(""), kCanaryText) << b.output;
  EXPECT_NE(b.output.find("a filesystem is mounted in it"), std::string::npos) << b.output;
}

}  // namespace
}  // namespace pgreplica::testing
