// pgreplica config check, and the judgement it shares with check, status and doctor, run
// against the built binary: what a configuration without a primary does to each.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/dirfd.h"
#include "common/fs.h"
#include "conf/config.h"
#include "proc/child.h"
#include "proc/user.h"
#include "support/port.h"

namespace pgreplica {
namespace {

struct Outcome {
  int code;
  std::string output;  // stdout and stderr
};

class ConfigCheckCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("/tmp", "pgreplica-cfgcheck-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
    local_port_ = std::to_string(FreePort());
  }

  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_->path() + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, text, mode));
    return path;
  }

  Outcome Run(const std::vector<std::string>& args, std::optional<proc::OsUser> as = {}) {
    const char* other = std::getenv("PGREPLICA_TEST_BINARY");
    std::vector<std::string> argv = {other && *other ? other : PGREPLICA_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = proc::Run({.argv = argv, .env = {{"NO_COLOR", "1"}}, .run_as = as});
    EXPECT_TRUE(r);
    return r ? Outcome{r->status.code, r->output} : Outcome{-1, ""};
  }

  static nlohmann::json Json(const Outcome& o) {
    return nlohmann::json::parse(o.output, nullptr, false);
  }

  // One error in PostgreSQL's style with the exit code.
  static void ExpectError(const Outcome& o, int code, const std::string& fragment) {
    EXPECT_EQ(o.code, code) << o.output;
    EXPECT_EQ(o.output.rfind("pgreplica: error: ", 0), 0u) << o.output;
    EXPECT_NE(o.output.find(fragment), std::string::npos) << o.output;
  }

  // A standby's configuration without a primary: the Salt formula wrote one from a pillar
  // that lacked the host. The local standby's port is closed (no server is needed).
  std::string NoPrimary(const std::string& host_line = "  host: ''\n") {
    return Write("noprimary.yaml", "primary:\n" + host_line + "  port: 5432\nlocal:\n" +
                                       "  data_directory: " + dir_->path() + "/data\n" +
                                       "  port: " + local_port_ + "\nconnect_timeout: 2\n");
  }

  std::string Valid() {
    return Write("valid.yaml", "primary:\n  host: db1.example.com\nlocal:\n  data_directory: " +
                                   dir_->path() + "/data\n");
  }

  std::unique_ptr<TempDir> dir_;
  std::string local_port_;
};

TEST_F(ConfigCheckCli, AValidFileExitsZero) {
  std::string file = Valid();
  for (const auto& args : {std::vector<std::string>{"config", "check", file},
                           {"config", "check", "--config", file},
                           {"config", "check", "--quiet", file}}) {
    auto o = Run(args);
    EXPECT_EQ(o.code, 0) << o.output;
    EXPECT_NE(o.output.find("configuration file \"" + file + "\" is valid"), std::string::npos)
        << o.output;
    EXPECT_NE(o.output.find("\"db1.example.com\" port 5432"), std::string::npos) << o.output;
  }
}

TEST_F(ConfigCheckCli, AFileThatNamesNoPrimaryIsInvalid) {
  for (const char* host_line : {"  host: ''\n", "  host:\n", ""}) {
    auto o = Run({"config", "check", NoPrimary(host_line)});
    ExpectError(o, 4, "pgreplica: error: configuration names no primary\n");
    EXPECT_NE(o.output.find("pgreplica: detail: "), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("pgreplica: hint: Set primary.host"), std::string::npos) << o.output;
  }
  auto empty = Run({"config", "check", NoPrimary()});
  EXPECT_NE(empty.output.find("primary.host is empty in configuration file"), std::string::npos)
      << empty.output;
}

TEST_F(ConfigCheckCli, AnEmptyFileIsInvalid) {
  auto o = Run({"config", "check", Write("empty.yaml", "")});
  ExpectError(o, 4, "configuration names no primary");
  EXPECT_NE(o.output.find("sets no key at all"), std::string::npos) << o.output;
}

TEST_F(ConfigCheckCli, WhatEveryCommandRefusesIsRefused) {
  ExpectError(Run({"config", "check", Write("typo.yaml", "primary:\n  hots: db1\n")}), 4,
              "unrecognized configuration key \"primary.hots\"");
  ExpectError(Run({"config", "check", Write("bad.yaml", "primary: [unclosed\n")}), 3,
              "could not parse configuration file");
  ExpectError(Run({"config", "check", dir_->path() + "/missing.yaml"}), 5,
              "could not read configuration file");
  ExpectError(Run({"config", "check", dir_->path()}), 5, "could not read configuration file");
  ExpectError(Run({"config", "check",
                   Write("unit.yaml",
                         "primary:\n  host: db1\nlocal:\n  service:\n"
                         "    type: systemd\n")}),
              4, "service type \"systemd\" needs a unit name");
  ExpectError(
      Run({"config", "check",
           Write("thresholds.yaml", "primary:\n  host: db1\ncheck:\n  lag_warn_mb: 500\n")}),
      4, "inconsistent thresholds");
}

TEST_F(ConfigCheckCli, AnUnreadableFileIsAnError) {
  std::string file = Valid();
  if (geteuid() != 0) {
    ASSERT_EQ(chmod(file.c_str(), 0), 0);
    ExpectError(Run({"config", "check", file}), 5, "could not read configuration file");
    return;
  }
  // Root reads every file: the check runs as nobody, who cannot.
  auto nobody = proc::LookupUser("nobody");
  if (!nobody) GTEST_SKIP() << "no user nobody";
  ExpectError(Run({"config", "check", file}, *nobody), 5, "could not read configuration file");
}

TEST_F(ConfigCheckCli, OneFileOnly) {
  std::string file = Valid();
  auto o = Run({"config", "check", "--config", file, file});
  EXPECT_EQ(o.code, 2) << o.output;
  struct stat st {};
  if (stat(conf::kDefaultConfigPath, &st) != 0) {
    // No FILE and no --config: the default path, which must then exist.
    ExpectError(Run({"config", "check"}), 5,
                std::string("could not read configuration file \"") + conf::kDefaultConfigPath);
  }
}

TEST_F(ConfigCheckCli, SetAppliesAsForEveryCommand) {
  EXPECT_EQ(Run({"config", "check", NoPrimary(), "--set", "primary.host=db2"}).code, 0);
  ExpectError(Run({"config", "check", Valid(), "--set", "primary.host="}), 4,
              "configuration names no primary");
  ExpectError(Run({"config", "check", Valid(), "--set", "primary.hots=x"}), 2,
              "Did you mean \"primary.host\"?");
}

TEST_F(ConfigCheckCli, JsonHasTheFileTheVerdictTheErrorAndTheSettings) {
  std::string valid = Valid();
  auto ok = Run({"config", "check", valid, "--output", "json"});
  EXPECT_EQ(ok.code, 0) << ok.output;
  auto j = Json(ok);
  ASSERT_TRUE(j.is_object()) << ok.output;
  EXPECT_EQ(j["file"], valid);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["ok"], true);
  EXPECT_FALSE(j.contains("error"));
  EXPECT_TRUE(j["warnings"].is_array());
  EXPECT_EQ(j["settings"]["primary"]["host"], "db1.example.com");
  EXPECT_EQ(j["settings"]["primary"]["port"], 5432);
  EXPECT_EQ(j["settings"]["local"]["data_directory"], dir_->path() + "/data");

  auto bad = Run({"config", "check", NoPrimary(), "-o", "json"});
  EXPECT_EQ(bad.code, 4) << bad.output;
  auto b = Json(bad);
  ASSERT_TRUE(b.is_object()) << bad.output;
  EXPECT_EQ(b["valid"], false);
  EXPECT_EQ(b["ok"], false);
  EXPECT_EQ(b["exit_code"], 4);
  EXPECT_EQ(b["error"]["kind"], "config_invalid");
  EXPECT_EQ(b["error"]["message"], "configuration names no primary");
  EXPECT_TRUE(b["error"]["detail"].is_string());
  EXPECT_TRUE(b["error"]["hint"].is_string());
  EXPECT_EQ(b["settings"]["primary"]["host"], "");

  auto missing = Run({"config", "check", dir_->path() + "/missing.yaml", "-o", "json"});
  EXPECT_EQ(missing.code, 5);
  auto m = Json(missing);
  ASSERT_TRUE(m.is_object()) << missing.output;
  EXPECT_EQ(m["valid"], false);
  EXPECT_EQ(m["error"]["kind"], "file_access");
  EXPECT_TRUE(m["settings"].is_null());
}

TEST_F(ConfigCheckCli, NoPasswordInAnyOutput) {
  const std::string canary = "Pw-Canary-7f3a91";
  std::string secret = Write("replication.secret", canary + "\n");
  std::string passfile = Write("admin.pgpass", "*:*:*:postgres:" + canary + "\n");
  std::string file = Write("secrets.yaml", "primary:\n  host: db1\n  admin_passfile: " + passfile +
                                               "\nreplication:\n  password_file: " + secret +
                                               "\nlocal:\n  pgpass_file: " + passfile + "\n");
  for (const char* format : {"text", "json"}) {
    auto o = Run({"config", "check", file, "--output", format});
    EXPECT_EQ(o.code, 0) << o.output;
    EXPECT_EQ(o.output.find(canary), std::string::npos) << o.output;
  }
  auto j = Json(Run({"config", "check", file, "--output", "json"}));
  EXPECT_EQ(j["settings"]["replication"]["password_file"], secret);
  EXPECT_EQ(j["settings"]["primary"]["admin_passfile"], passfile);
  // A password written into the file where it does not belong is refused, and not repeated.
  for (const std::string& yaml :
       {"primary:\n  host: db1\n  password: " + canary + "\n",
        "primary:\n  host: db1\nreplication:\n  password: " + canary + "\n"}) {
    for (const char* format : {"text", "json"}) {
      auto o = Run({"config", "check", Write("leak.yaml", yaml), "--output", format});
      EXPECT_EQ(o.code, 4) << o.output;
      EXPECT_EQ(o.output.find(canary), std::string::npos) << o.output;
    }
  }
}

TEST_F(ConfigCheckCli, RootRefusesUntrustedCustomCommands) {
  if (geteuid() != 0) GTEST_SKIP() << "root's refusal";
  std::string home = dir_->path() + "/home";
  ASSERT_TRUE(MakeDirs(home, 0755));
  ASSERT_EQ(chown(home.c_str(), 65534, 65534), 0);
  std::string path = home + "/pgreplica.yaml";
  ASSERT_TRUE(WriteFileAtomic(path,
                              "primary:\n  host: db1\nlocal:\n  data_directory: " + dir_->path() +
                                  "/data\n  service:\n    type: custom\n    start: [touch, x]\n"
                                  "    stop: [touch, x]\n    status: [touch, x]\n",
                              0600));
  auto o = Run({"config", "check", path});
  ExpectError(o, 6, "refusing to run the custom service commands of \"" + path + "\"");
}

// A FIFO in the configuration's or the inventory's place blocked every command forever (the
// Nagios plugin printed nothing); it is a file error now, UNKNOWN for check.
TEST_F(ConfigCheckCli, AFifoIsNotReadForever) {
  std::string fifo = dir_->path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ExpectError(Run({"config", "check", fifo}), 5, "not a regular file");
  ExpectError(Run({"status", "--inventory", fifo}), 5, "FIFO");
  auto check = Run({"check", "--config", fifo});
  EXPECT_EQ(check.code, 3) << check.output;
  EXPECT_NE(check.output.find("not a regular file"), std::string::npos) << check.output;
}

// A link that another user planted, to a file only root can read: its lines came back in the
// errors about unknown keys ("root:$6$...": a shadow line is a YAML key).
TEST_F(ConfigCheckCli, RootReadsNoConfigurationThroughALinkOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "root's refusal";
  std::string secret = Write("secret", "root:$6$salt$hash:19000:0:99999:7:::\n", 0600);
  std::string link = dir_->path() + "/pgreplica.yaml";
  ASSERT_EQ(symlink(secret.c_str(), link.c_str()), 0);
  ASSERT_EQ(lchown(link.c_str(), 65534, 65534), 0);
  for (const auto& args : {std::vector<std::string>{"config", "check", link},
                           {"status", "--config", link, "--output", "json"},
                           {"check", "--config", link}}) {
    auto o = Run(args);
    EXPECT_EQ(o.output.find("$6$"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("symbolic link that belongs to user id 65534"), std::string::npos)
        << o.output;
  }
  EXPECT_EQ(Run({"config", "check", link}).code, 6);
}

// A POSIX ACL entry "user:nobody:rw" shows in the mode only as group write through the mask,
// with the group still root's: the file passed as root's alone, and root would have run
// commands that nobody could rewrite (attacker trial).
TEST_F(ConfigCheckCli, RootRefusesCommandsAnAclLetsOthersRewrite) {
  if (geteuid() != 0) GTEST_SKIP() << "root's refusal";
  std::string path = Write("acl.yaml",
                           "primary:\n  host: db1\nlocal:\n  data_directory: " + dir_->path() +
                               "/data\n  service:\n    type: custom\n    start: [touch, x]\n"
                               "    stop: [touch, x]\n    status: [touch, x]\n",
                           0644);
  EXPECT_EQ(Run({"config", "check", path}).code, 0);
  // setfacl -m u:nobody:rw, as the kernel stores it (little-endian): version 2, then
  // (tag, perm, id) for user::rw- user:65534:rw- group::r-- mask::rw- other::r--.
  std::string acl;
  auto put = [&acl](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) acl.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(2, 4);
  for (auto [tag, perm, id] :
       std::vector<std::tuple<uint32_t, uint32_t, uint32_t>>{{0x01, 6, 0xffffffff},
                                                             {0x02, 6, 65534},
                                                             {0x04, 4, 0xffffffff},
                                                             {0x10, 6, 0xffffffff},
                                                             {0x20, 4, 0xffffffff}}) {
    put(tag, 2);
    put(perm, 2);
    put(id, 4);
  }
  if (setxattr(path.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) != 0)
    GTEST_SKIP() << "no POSIX ACLs on this file system: " << strerror(errno);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0664u);  // the mask shows as group write; the group is root's
  ExpectError(Run({"config", "check", path}), 6, "access control list");
}

// /etc/pgreplica/pgreplica.yaml as a link into a checkout that configuration management keeps:
// root follows a link that only root could have made, and judges its target as the file.
TEST_F(ConfigCheckCli, RootFollowsOnlyLinksNoOneElseCouldHaveMade) {
  if (geteuid() != 0) GTEST_SKIP() << "root's refusal";
  std::string custom = "primary:\n  host: db1\nlocal:\n  data_directory: " + dir_->path() +
                       "/data\n  service:\n    type: custom\n    start: [touch, x]\n"
                       "    stop: [touch, x]\n    status: [touch, x]\n";
  std::string target = Write("target.yaml", custom, 0644);
  std::string link = dir_->path() + "/link.yaml";
  ASSERT_EQ(symlink("target.yaml", link.c_str()), 0);
  auto o = Run({"config", "check", link});
  EXPECT_EQ(o.code, 0) << o.output;
  // A link someone else owns, or one in a directory someone else can write, is not followed.
  std::string theirs = dir_->path() + "/theirs.yaml";
  ASSERT_EQ(symlink(target.c_str(), theirs.c_str()), 0);
  ASSERT_EQ(lchown(theirs.c_str(), 65534, 65534), 0);
  ExpectError(Run({"config", "check", theirs}), 6, "symbolic link that belongs to user id 65534");
  std::string home = dir_->path() + "/home";
  ASSERT_TRUE(MakeDirs(home, 0755));
  ASSERT_EQ(chown(home.c_str(), 65534, 65534), 0);
  std::string planted = home + "/pgreplica.yaml";
  ASSERT_EQ(symlink(target.c_str(), planted.c_str()), 0);
  ExpectError(Run({"config", "check", planted}), 6, "a directory someone other than root");
  // A link on the way to the file, in a directory another user owns, and a chain whose second
  // link is another user's: root's link to their link to a file only root can read.
  std::string secret = Write("secret", "root:$6$salt$hash:19000:0:99999:7:::\n", 0600);
  std::string via = home + "/dir";
  ASSERT_EQ(symlink(dir_->path().c_str(), via.c_str()), 0);
  ASSERT_EQ(lchown(via.c_str(), 65534, 65534), 0);
  for (const auto& p : {via + "/secret", home + "/./dir/../dir/secret"}) {
    auto o = Run({"config", "check", p});
    EXPECT_EQ(o.code, 6) << p << ": " << o.output;
    EXPECT_EQ(o.output.find("$6$"), std::string::npos) << o.output;
    auto inv = Run({"status", "--inventory", p});
    EXPECT_EQ(inv.code, 6) << p << ": " << inv.output;
    EXPECT_EQ(inv.output.find("$6$"), std::string::npos) << inv.output;
  }
  std::string theirs_to_secret = home + "/to-secret";
  ASSERT_EQ(symlink(secret.c_str(), theirs_to_secret.c_str()), 0);
  ASSERT_EQ(lchown(theirs_to_secret.c_str(), 65534, 65534), 0);
  std::string chain = dir_->path() + "/chain.yaml";
  ASSERT_EQ(symlink(theirs_to_secret.c_str(), chain.c_str()), 0);
  auto o2 = Run({"config", "check", chain});
  EXPECT_EQ(o2.code, 6) << o2.output;
  EXPECT_EQ(o2.output.find("$6$"), std::string::npos) << o2.output;
  // The target is judged as the file itself would be.
  ASSERT_EQ(chmod(target.c_str(), 0666), 0);
  ExpectError(Run({"config", "check", link}), 6, "writable by others");
}

// The file of a host that watches only its local standby needs no primary.
TEST_F(ConfigCheckCli, ALocalOnlyFileNeedsNoPrimary) {
  std::string file = NoPrimary();
  ExpectError(Run({"config", "check", file}), 4, "config check --local-only");
  auto o = Run({"config", "check", "--local-only", file});
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("(none: the local standby only)"), std::string::npos) << o.output;
}

// check said "OK - 0 primary" for a configuration without a primary: slot monitoring had
// silently stopped. It is UNKNOWN now; --local-only still checks the local standby alone.
TEST_F(ConfigCheckCli, CheckWithoutAPrimaryIsUnknownUnlessLocalOnly) {
  std::string file = NoPrimary();
  auto o = Run({"check", "--config", file});
  EXPECT_EQ(o.code, 3) << o.output;
  EXPECT_EQ(o.output.rfind("PGREPLICA UNKNOWN - configuration names no primary", 0), 0u)
      << o.output;
  auto primary_only = Run({"check", "--config", file, "--primary-only"});
  EXPECT_EQ(primary_only.code, 3) << primary_only.output;
  EXPECT_NE(primary_only.output.find("configuration names no primary"), std::string::npos)
      << primary_only.output;
  auto j = Json(Run({"check", "--config", file, "--output", "json"}));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["state"], "UNKNOWN");
  // The problem as the Nagios line says it, DETAIL included, and the error itself.
  EXPECT_EQ(j["problems"][0].get<std::string>().rfind("configuration names no primary: ", 0), 0u)
      << j.dump();
  EXPECT_EQ(j["error"]["message"], "configuration names no primary");
  EXPECT_NE(j["error"]["hint"].get<std::string>().find("primary.host"), std::string::npos);
  // The local standby alone: asked (it does not answer here, which is UNKNOWN for its own
  // reason).
  auto local = Run({"check", "--config", file, "--local-only"});
  EXPECT_EQ(local.code, 3) << local.output;
  EXPECT_EQ(local.output.rfind("PGREPLICA UNKNOWN - local: ", 0), 0u) << local.output;
  EXPECT_EQ(local.output.find("names no primary"), std::string::npos) << local.output;
}

TEST_F(ConfigCheckCli, StatusWithoutAPrimaryIsAConfigurationError) {
  std::string file = NoPrimary();
  ExpectError(Run({"status", "--config", file}), 4, "configuration names no primary");
  ExpectError(Run({"status", "--config", file, "--primary-only"}), 4,
              "configuration names no primary");
  auto json = Json(Run({"status", "--config", file, "--output", "json"}));
  EXPECT_EQ(json["error"]["message"], "configuration names no primary");
  // The local standby alone, or an inventory: queried (nothing answers here: exit 7).
  auto local = Run({"status", "--config", file, "--local-only"});
  EXPECT_EQ(local.code, 7) << local.output;
  EXPECT_EQ(local.output.find("names no primary"), std::string::npos) << local.output;
  std::string inventory = Write(
      "inventory.yaml", "nodes:\n  - {host: 127.0.0.1, port: " + local_port_ + ", timeout: 2}\n");
  auto fleet = Run({"status", "--config", file, "--inventory", inventory});
  EXPECT_EQ(fleet.code, 7) << fleet.output;
  EXPECT_EQ(fleet.output.find("names no primary"), std::string::npos) << fleet.output;
}

TEST_F(ConfigCheckCli, DoctorFailsAConfigurationWithoutAPrimary) {
  auto o = Run({"doctor", "--config", NoPrimary(), "--output", "json"});
  EXPECT_EQ(o.code, 1) << o.output;
  auto j = Json(o);
  ASSERT_TRUE(j.is_object()) << o.output;
  bool found = false;
  for (const auto& item : j["checks"]) {
    if (item.value("name", "") != "primary") continue;
    found = true;
    EXPECT_EQ(item["status"], "fail") << item.dump();
    EXPECT_NE(item["message"].get<std::string>().find("configuration names no primary"),
              std::string::npos)
        << item.dump();
  }
  EXPECT_TRUE(found) << o.output;
  auto text = Run({"doctor", "--config", NoPrimary()});
  EXPECT_NE(text.output.find("FAIL  primary"), std::string::npos) << text.output;
}

}  // namespace
// status --output-file, what pgreplica-metrics.service runs as root into node_exporter's
// directory, which may belong to another user: links planted there are replaced, never
// followed (the shell helper's redirection, chmod and mv followed them), and nothing is
// left behind.
using StatusOutputFile = ConfigCheckCli;

TEST_F(StatusOutputFile, LinksInTheDirectoryAreReplacedNotFollowed) {
  if (geteuid() != 0) GTEST_SKIP() << "root writing into another user's directory";
  std::string victim = Write("victim", "SECRET\n", 0600);
  std::string victim_dir = dir_->path() + "/victim-dir";
  ASSERT_TRUE(MakeDirs(victim_dir, 0700));
  std::string textfile = dir_->path() + "/textfile";
  ASSERT_TRUE(MakeDirs(textfile, 0755));
  ASSERT_EQ(chown(textfile.c_str(), 65534, 65534), 0);
  std::string prom = textfile + "/pgreplica.prom";
  std::vector<std::string> args = {"status",   "--config",   NoPrimary(),     "--local-only",
                                   "--output", "prometheus", "--output-file", prom};
  for (const std::string& target : {victim, victim_dir}) {
    unlink(prom.c_str());
    ASSERT_EQ(symlink(target.c_str(), prom.c_str()), 0);
    ASSERT_EQ(lchown(prom.c_str(), 65534, 65534), 0);
    auto o = Run(args);
    EXPECT_EQ(o.code, 7) << o.output;  // the local standby's port is closed
    struct stat st {};
    ASSERT_EQ(lstat(prom.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    auto text = ReadFile(prom);
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("pgreplica_up"), std::string::npos) << *text;
  }
  auto secret = ReadFile(victim);
  ASSERT_TRUE(secret);
  EXPECT_EQ(*secret, "SECRET\n");
  struct stat vs {};
  ASSERT_EQ(stat(victim.c_str(), &vs), 0);
  EXPECT_EQ(vs.st_mode & 07777, 0600u);
  EXPECT_EQ(rmdir(victim_dir.c_str()), 0) << "something was written into the linked directory";
  // A directory in the file's place: an error, the directory kept, no temporary file left.
  ASSERT_EQ(unlink(prom.c_str()), 0);
  ASSERT_TRUE(MakeDirs(prom, 0755));
  auto o = Run(args);
  EXPECT_NE(o.code, 0) << o.output;
  EXPECT_NE(o.code, 7) << o.output;
  EXPECT_EQ(o.output.rfind("pgreplica: error: ", 0), 0u) << o.output;
  struct stat ds {};
  ASSERT_EQ(lstat(prom.c_str(), &ds), 0);
  EXPECT_TRUE(S_ISDIR(ds.st_mode));
  auto d = Dir::Open(textfile);
  ASSERT_TRUE(d);
  auto names = d->List();
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"pgreplica.prom"});
}

}  // namespace pgreplica
