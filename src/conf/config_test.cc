#include "conf/config.h"

#include <gtest/gtest.h>

namespace pgreplica::conf {

TEST(Config, EmptyTextGivesDefaults) {
  auto c = ParseConfig("", "x.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->primary.port, 5432);
  EXPECT_EQ(c->local.os_user, "postgres");
  EXPECT_EQ(c->clone.verify, "builtin");
}

TEST(Config, ReadsEveryKindOfValue) {
  auto c = ParseConfig(R"(
primary:
  host: db-1.example.com
  port: 5433
replication:
  user: rep
  slot: node_a_slot
local:
  data_directory: /var/lib/postgresql/15/main
  service:
    type: custom
    start: [systemctl, start, pg]
clone:
  verify: false
  keep_old: 3
connect_timeout: 5
)",
                       "x.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->primary.host, "db-1.example.com");
  EXPECT_EQ(c->primary.port, 5433);
  EXPECT_EQ(c->replication.slot, "node_a_slot");
  EXPECT_EQ(c->local.service.start, (std::vector<std::string>{"systemctl", "start", "pg"}));
  EXPECT_EQ(c->clone.verify, "off");
  EXPECT_EQ(c->clone.keep_old, 3);
  EXPECT_EQ(c->connect_timeout, 5);
}

TEST(Config, CloneVerifyNamesAVerifierOrIsABoolean) {
  for (const auto& [text, want] :
       std::vector<std::pair<std::string, std::string>>{{"builtin", "builtin"},
                                                        {"pg_verifybackup", "pg_verifybackup"},
                                                        {"true", "builtin"},
                                                        {"on", "builtin"},
                                                        {"false", "off"},
                                                        {"no", "off"}}) {
    auto c = ParseConfig("clone:\n  verify: " + text + "\n", "x.yaml");
    ASSERT_TRUE(c) << text << ": " << c.error().message;
    EXPECT_EQ(c->clone.verify, want) << text;
  }
  auto bad = ParseConfig("clone:\n  verify: pg_verifybackup2\n", "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("builtin, pg_verifybackup, true or false"), std::string::npos)
      << bad.error().message << " / " << bad.error().detail;
}

TEST(Config, UnknownKeyNamesFileLineAndSuggestion) {
  auto c = ParseConfig("primary:\n  host: a\n  prot: 5\n", "/etc/p.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(c.error().message,
            "unrecognized configuration key \"primary.prot\" in file \"/etc/p.yaml\" line 3");
  EXPECT_EQ(c.error().hint, "Did you mean \"primary.port\"?");
}

TEST(Config, BadValueNamesKeyAndLine) {
  auto c = ParseConfig("primary:\n  port: 70000\n", "p.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message,
            "invalid value for configuration key \"primary.port\" in file \"p.yaml\" line 2");
  EXPECT_EQ(c.error().detail, "The value must be an integer from 1 to 65535.");
}

TEST(Config, SyntaxErrorHasLine) {
  auto c = ParseConfig("primary:\n  host: [a\n", "p.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigSyntax);
  EXPECT_NE(c.error().detail.find("Line "), std::string::npos);
}

TEST(Config, RejectsHostileValues) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  const Case cases[] = {
      {"primary: {host: 'a b'}", "primary.host"},
      {"primary: {host: \"a'b\"}", "primary.host"},
      {"primary: {port: 0}", "primary.port"},
      {"primary: {port: '5432x'}", "primary.port"},
      {"primary: {port: [1]}", "primary.port"},
      {"primary: {host: {a: b}}", "primary.host"},
      {"replication: {slot: Node-A}", "replication.slot"},
      {"replication: {user: ''}", "replication.user"},
      {"replication: {allowed_address: 10.0.0.300/8}", "replication.allowed_address"},
      {"local: {data_directory: relative/path}", "local.data_directory"},
      {"local: {bindir: /nonexistent/bin}", "local.bindir"},
      {"local: {os_user: 'bad user'}", "local.os_user"},
      {"local: {service: {type: launchd}}", "local.service.type"},
      {"local: {service: {start: notalist}}", "local.service.start"},
      {"local: {service: {unit: -H}}", "local.service.unit"},
      {"local: {service: {unit: '--host=db2'}}", "local.service.unit"},
      {"local: {service: {unit: 'a b'}}", "local.service.unit"},
      {"clone: {verify: maybe}", "clone.verify"},
      {"clone: {max_rate: fast}", "clone.max_rate"},
      {"clone: {max_rate: 999999999M}", "clone.max_rate"},
      {"clone: {max_rate: 2048M}", "clone.max_rate"},
      {"clone: {max_rate: 31k}", "clone.max_rate"},
      {"clone: {max_rate: 0}", "clone.max_rate"},
      {"connect_timeout: -5", "connect_timeout"},
  };
  for (const auto& c : cases) {
    auto r = ParseConfig(c.yaml, "t.yaml");
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid) << c.yaml;
    EXPECT_NE(r.error().message.find(std::string("\"") + c.key + "\""), std::string::npos)
        << c.yaml << " -> " << r.error().message;
  }
}

// Top-level typos got only a generic hint; every unknown key now gets the nearest valid one.
TEST(Config, EveryUnknownKeyGetsTheNearestValidOne) {
  struct Case {
    const char* yaml;
    const char* message;
    const char* hint;
  };
  const Case cases[] = {
      {"primray:\n  host: x\n", "\"primray\"", "Did you mean \"primary\"?"},
      {"primary_hots: x\n", "\"primary_hots\"",
       "Did you mean \"primary.host\"? In the file it is \"host:\" under \"primary:\"."},
      {"primary:\n  hots: x\n", "\"primary.hots\"", "Did you mean \"primary.host\"?"},
      {"replicaton:\n  user: x\n", "\"replicaton\"", "Did you mean \"replication\"?"},
      {"local:\n  servcie:\n    type: systemd\n", "\"local.servcie\"",
       "Did you mean \"local.service\"?"},
      {"local:\n  service:\n    unti: x\n", "\"local.service.unti\"",
       "Did you mean \"local.service.unit\"?"},
      {"state_dir: /x\n", "\"state_dir\"", "Did you mean \"state_directory\"?"},
      {"conect_timeout: 3\n", "\"conect_timeout\"", "Did you mean \"connect_timeout\"?"},
      {"port: 5433\n", "\"port\"", "Did you mean \"primary.port\"? In the file it is"},
      {"zzzzzz: 1\n", "\"zzzzzz\"",
       "The valid keys at the top level are: primary, replication, local, clone, check, "
       "state_directory, connect_timeout, network_timeout."},
      {"clone:\n  qqqqqqq: 1\n", "\"clone.qqqqqqq\"",
       "The valid keys under \"clone\" are: keep_old, verify, "},
  };
  for (const auto& c : cases) {
    auto r = ParseConfig(c.yaml, "t.yaml");
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid) << c.yaml;
    EXPECT_NE(r.error().message.find(std::string("unrecognized configuration key ") + c.message),
              std::string::npos)
        << r.error().message;
    EXPECT_EQ(r.error().hint.rfind(c.hint, 0), 0u) << c.yaml << " -> " << r.error().hint;
  }
}

TEST(Config, DuplicateKeyIsAnError) {
  auto c = ParseConfig("primary:\n  port: 1\n  port: 2\n", "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("duplicate configuration key \"primary.port\""),
            std::string::npos);
}

TEST(Config, TopLevelMustBeAMapping) {
  auto c = ParseConfig("- a\n- b\n", "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigInvalid);
}

TEST(Config, OverridesUseTheSameChecks) {
  Config c;
  EXPECT_TRUE(ApplyOverride(c, "primary.port=6000"));
  EXPECT_EQ(c.primary.port, 6000);
  EXPECT_TRUE(SetKey(c, "local.service.stop", "[a, b]", "--x"));
  EXPECT_EQ(c.local.service.stop.size(), 2u);
  auto bad = SetKey(c, "primary.port", "70000", "--port");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(bad.error().message, "invalid value for --port: \"70000\"");
  auto unknown = ApplyOverride(c, "primary.hots=x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().hint, "Did you mean \"primary.host\"?");
  EXPECT_FALSE(ApplyOverride(c, "noequals"));
}

// "--set primary.port=" failed with "is not an integer"; it resets the key, whatever its type.
TEST(Config, SetWithoutAValueResetsTheKeyToItsDefault) {
  auto c = ParseConfig(
      "primary:\n  port: 6000\n  admin_user: admin\nclone:\n  verify: false\n  compress: "
      "server-zstd\nlocal:\n  service:\n    stop: [a]\ncheck:\n  expected_standbys: [x]\n",
      "x.yaml");
  ASSERT_TRUE(c) << c.error().message << " " << c.error().detail;
  for (const char* key : {"primary.port", "primary.admin_user", "clone.verify", "clone.compress",
                          "local.service.stop", "check.expected_standbys"})
    EXPECT_TRUE(ApplyOverride(*c, std::string(key) + "=")) << key;
  EXPECT_EQ(c->primary.port, 5432);
  EXPECT_EQ(c->primary.admin_user, "postgres");
  EXPECT_EQ(c->clone.verify, "builtin");
  EXPECT_EQ(c->clone.compress, "auto");
  EXPECT_TRUE(c->local.service.stop.empty());
  EXPECT_TRUE(c->check.expected_standbys.empty());
}

TEST(Config, AnIntegerBeyondEveryRangeIsOutOfRangeNotNoInteger) {
  Config c;
  auto huge = SetKey(c, "primary.port", "99999999999999999999", "--port");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().detail, "The value must be an integer from 1 to 65535.");
  auto small = SetKey(c, "primary.port", "-99999999999999999999", "--port");
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().detail, "The value must be an integer from 1 to 65535.");
}

// Only the first document was read.
TEST(Config, MoreThanOneDocumentIsRefused) {
  auto c = ParseConfig("primary:\n  host: a\n---\nprimary:\n  host: b\n", "m.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(c.error().message, "configuration file \"m.yaml\" holds 2 YAML documents");
  EXPECT_TRUE(ParseConfig("---\nprimary:\n  host: a\n", "one.yaml"));
}

// fuzz_config found a 14-byte file on which yaml-cpp's LoadAll never returned: its parser
// handed out the same document again and again, and LoadAll kept copies until memory ran out
// (std::bad_alloc, exit 70). It is a syntax error now, found without LoadAll.
TEST(Config, TextThatStopsTheYamlParserIsASyntaxError) {
  for (const char* text : {", o_mb:{pc3}}\n", ",\n"}) {
    auto c = ParseConfig(text, "s.yaml");
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().kind, ErrorKind::kConfigSyntax) << text;
    EXPECT_NE(c.error().detail.find("not part of any YAML node"), std::string::npos)
        << c.error().detail;
  }
}

// A few kB of aliases expanded into gigabytes when the configuration was read.
TEST(Config, ManyAliasesAreRefused) {
  std::string text = "primary: {host: db1}\ncheck:\n  expected_standbys: [&a \"x\"";
  for (int i = 0; i < 101; ++i) text += ", *a";
  text += "]\n";
  auto c = ParseConfig(text, "a.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(c.error().message, "configuration file \"a.yaml\" uses 101 YAML aliases");
  EXPECT_TRUE(ParseConfig("primary: {host: &h db1}\nlocal: {admin_user: *h}\n", "ok.yaml"));
}

TEST(Config, ANulByteIsReportedWhereItIs) {
  auto c = ParseConfig(std::string("primary:\n  host: db1\n  po\0rt: 1\n", 30), "n.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfigSyntax);
  EXPECT_EQ(c.error().detail, "Line 3, column 5: a NUL byte, which YAML text cannot hold.");
}

TEST(Config, ValuesThatWouldFailLaterAreRefusedHere) {
  // An empty expected standby matches nothing: a CRITICAL forever.
  EXPECT_FALSE(ParseConfig("check:\n  expected_standbys: [\"\"]\n", "e.yaml"));
  EXPECT_TRUE(ParseConfig("check:\n  expected_standbys: [a]\n", "e.yaml"));
  // PostgreSQL refuses to run as root.
  auto root = ParseConfig("local:\n  os_user: root\n", "r.yaml");
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().detail.find("refuses to run as root"), std::string::npos);
  // A bare address is one host.
  auto bare = ParseConfig("replication:\n  allowed_address: 10.0.0.1\n", "a.yaml");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->replication.allowed_address, "10.0.0.1/32");
  Config c;
  ASSERT_TRUE(SetKey(c, "replication.allowed_address", "::1", "--allowed-address"));
  EXPECT_EQ(c.replication.allowed_address, "::1/128");
  ASSERT_TRUE(SetKey(c, "replication.allowed_address", "10.0.0.0/8", "--allowed-address"));
  EXPECT_EQ(c.replication.allowed_address, "10.0.0.0/8");
  ASSERT_TRUE(SetKey(c, "replication.allowed_address", "samenet", "--allowed-address"));
  EXPECT_EQ(c.replication.allowed_address, "samenet");
}

// --compress lz5 passed the dry run and failed after the copy slot was made.
TEST(Config, CompressFollowsPgBasebackupsGrammarForThePlainFormat) {
  Config c;
  for (const char* ok : {"auto", "none", "client-none", "server-none", "server-gzip",
                         "server-gzip:9", "server-lz4:level=12", "server-zstd", "server-zstd:-5",
                         "server-zstd:level=3,workers=4", "server-zstd:workers=0"})
    EXPECT_TRUE(SetKey(c, "clone.compress", ok, "--compress")) << ok;
  for (const char* bad : {"lz5",
                          "gzip",
                          "client-gzip",
                          "5",
                          "0",
                          "server-gzip:0",
                          "server-gzip:10",
                          "server-lz4:13",
                          "server-zstd:23",
                          "none:3",
                          "server-none:1",
                          "server-gzip:",
                          "server-gzip:level=",
                          "server-gzip:workers=2",
                          "server-zstd:long",
                          "server-zstd:workers=-1",
                          "SERVER-gzip",
                          "server-GZIP",
                          "server-gzip:abc",
                          "server gzip"}) {
    auto r = SetKey(c, "clone.compress", bad, "--compress");
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::kUsage) << bad;
    }
  }
}

TEST(Config, WarningThresholdsMayNotExceedCriticalOnes) {
  Config c;
  EXPECT_TRUE(CheckThresholds(c, ErrorKind::kUsage, "here"));
  c.check.lag_warn_mb = 500;
  c.check.lag_crit_mb = 10;
  auto r = CheckThresholds(c, ErrorKind::kUsage, "on the command line");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(r.error().message, "inconsistent thresholds on the command line");
  EXPECT_NE(r.error().detail.find("check.lag_warn_mb (500) is above check.lag_crit_mb (10)"),
            std::string::npos);
  c.check.lag_crit_mb = 500;  // equal is fine
  EXPECT_TRUE(CheckThresholds(c, ErrorKind::kUsage, "here"));
}

}  // namespace pgreplica::conf
