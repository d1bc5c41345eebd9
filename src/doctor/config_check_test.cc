#include "doctor/config_check.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace pgreplica::replica {
namespace {

conf::Config Parse(const std::string& yaml) {
  auto c = conf::ParseConfig(yaml, "/etc/pgreplica/pgreplica.yaml");
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : conf::Config{};
}

const std::string kValid =
    "primary:\n  host: db1.example.com\nlocal:\n  data_directory: /srv/pgreplica-test/none\n";

TEST(ConfigCheck, ANamedPrimaryIsRequired) {
  EXPECT_TRUE(RequirePrimary(Parse(kValid)));
  auto judged = JudgeConfig(Parse(kValid));
  EXPECT_TRUE(judged.valid()) << judged.error->message;
  EXPECT_TRUE(judged.warnings.empty());
}

// A pillar without the primary host rendered "host: ''", and check then said OK.
TEST(ConfigCheck, AnEmptyHostNamesNoPrimary) {
  auto c = Parse("primary:\n  host: ''\nlocal:\n  data_directory: /srv/x\n");
  auto ok = RequirePrimary(c);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(ok.error().message, "configuration names no primary");
  EXPECT_NE(ok.error().detail.find(
                "primary.host is empty in configuration file \"/etc/pgreplica/pgreplica.yaml\""),
            std::string::npos)
      << ok.error().detail;
  EXPECT_NE(ok.error().hint.find("primary.host"), std::string::npos);
  auto judged = JudgeConfig(c);
  ASSERT_FALSE(judged.valid());
  EXPECT_EQ(judged.error->message, "configuration names no primary");
}

TEST(ConfigCheck, AFileWithoutTheHostOrWithNothingNamesNoPrimary) {
  auto without = RequirePrimary(Parse("primary:\n  port: 5433\n"));
  ASSERT_FALSE(without);
  EXPECT_NE(without.error().detail.find("does not set primary.host"), std::string::npos)
      << without.error().detail;
  auto empty = RequirePrimary(Parse("# only a comment\n"));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().detail.find("sets no key at all"), std::string::npos)
      << empty.error().detail;
  auto defaults = RequirePrimary(conf::Config{});
  ASSERT_FALSE(defaults);
  EXPECT_NE(defaults.error().detail.find("No configuration file was read"), std::string::npos);
}

TEST(ConfigCheck, ServiceSettingsCloneWouldRefuseAreInvalid) {
  auto systemd = JudgeConfig(Parse(kValid + "  service:\n    type: systemd\n"));
  ASSERT_FALSE(systemd.valid());
  EXPECT_EQ(systemd.error->kind, ErrorKind::kConfigInvalid);
  EXPECT_NE(systemd.error->message.find("needs a unit name"), std::string::npos);
  auto custom = JudgeConfig(Parse(kValid + "  service:\n    type: custom\n"));
  ASSERT_FALSE(custom.valid());
  EXPECT_NE(custom.error->message.find("needs start, stop and status"), std::string::npos);
  auto shell = JudgeConfig(Parse("primary:\n  host: db1\nlocal:\n  data_directory: /srv/a$b\n"));
  ASSERT_FALSE(shell.valid());
  EXPECT_NE(shell.error->message.find("unsafe data directory path"), std::string::npos)
      << shell.error->message;
}

TEST(ConfigCheck, NoDataDirectoryIsAWarning) {
  auto judged = JudgeConfig(Parse("primary:\n  host: db1\n"));
  EXPECT_TRUE(judged.valid());
  ASSERT_EQ(judged.warnings.size(), 1u);
  EXPECT_NE(judged.warnings[0].find("local.data_directory is not set"), std::string::npos);
}

TEST(ConfigCheck, UntrustedCustomCommandsFailAsRootAndWarnOtherwise) {
  conf::Config c = Parse(kValid +
                         "  service:\n    type: custom\n    start: [a]\n    stop: [b]\n"
                         "    status: [c]\n");
  c.local.service.commands_source = "/home/x/pgreplica.yaml";
  c.local.service.commands_writable_by = "It belongs to user id 1000.";
  c.local.service.commands_fix = "Make the file belong to root.";
  auto judged = JudgeConfig(c);
  if (geteuid() == 0) {
    ASSERT_FALSE(judged.valid());
    EXPECT_EQ(judged.error->kind, ErrorKind::kInsecureFile);
    EXPECT_NE(judged.error->message.find("refusing to run the custom service commands"),
              std::string::npos);
  } else {
    EXPECT_TRUE(judged.valid());
    ASSERT_EQ(judged.warnings.size(), 1u);
    EXPECT_NE(judged.warnings[0].find("Root would refuse"), std::string::npos);
  }
}

TEST(ConfigCheck, EffectiveSettingsAreNestedAsInTheFile) {
  auto c = Parse(kValid + "  tablespace_mapping: [/a=/b]\nclone:\n  verify: false\n");
  nlohmann::json s = conf::EffectiveSettings(c);
  EXPECT_EQ(s["primary"]["host"], "db1.example.com");
  EXPECT_EQ(s["primary"]["port"], 5432);
  EXPECT_EQ(s["clone"]["verify"],
            "off");  // false is spelled "off" since clone.verify names a verifier
  EXPECT_EQ(s["local"]["tablespace_mapping"], nlohmann::json::array({"/a=/b"}));
  EXPECT_EQ(s["local"]["service"]["type"], "pg_ctl");
  EXPECT_EQ(s["replication"]["password_file"], "");
  EXPECT_EQ(s["state_directory"], "/var/lib/pgreplica");
  EXPECT_EQ(c.keys_in_file, (std::vector<std::string>{"primary.host", "local.data_directory",
                                                      "local.tablespace_mapping", "clone.verify"}));
}

}  // namespace
}  // namespace pgreplica::replica
