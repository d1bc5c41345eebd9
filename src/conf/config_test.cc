#include "conf/config.h"

#include <gtest/gtest.h>

namespace pgreplica::conf {

TEST(Config, EmptyTextGivesDefaults) {
  auto c = ParseConfig("", "x.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->primary.port, 5432);
  EXPECT_EQ(c->local.os_user, "postgres");
  EXPECT_TRUE(c->clone.verify);
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
  EXPECT_FALSE(c->clone.verify);
  EXPECT_EQ(c->clone.keep_old, 3);
  EXPECT_EQ(c->connect_timeout, 5);
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
       "state_directory, connect_timeout."},
      {"clone:\n  qqqqqqq: 1\n", "\"clone.qqqqqqq\"",
       "The valid keys under \"clone\" are: keep_old, verify, max_rate, compress, "
       "confirm_timeout, space_margin_percent."},
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

TEST(Config, EveryKeyIsDocumented) {
  // docs/configuration.md lists each key of the schema.
  std::string doc_path = std::string(PGREPLICA_SOURCE_DIR) + "/docs/configuration.md";
  FILE* f = fopen(doc_path.c_str(), "r");
  ASSERT_NE(f, nullptr) << doc_path;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  for (const auto& k : ConfigKeys())
    EXPECT_NE(text.find("`" + k.key + "`"), std::string::npos)
        << k.key << " is not in " << doc_path;
}

}  // namespace pgreplica::conf
