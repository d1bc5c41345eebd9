// Judging and rendering a hand-built status model: the formats, not PostgreSQL.

#include "monitor/check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "monitor/inventory.h"
#include "monitor/prometheus.h"
#include "monitor/text.h"

namespace pgreplica::monitor {

NodeStatus Primary() {
  NodeStatus n;
  n.name = "db1";
  n.reachable = true;
  n.role = "primary";
  n.slots.push_back(
      {"node_a_slot", "physical", true, 42, "0/3000000", 1024, "reserved", std::nullopt, false});
  Walsender w;
  w.application_name = "node_a_slot";
  w.slot_name = "node_a_slot";
  w.state = "streaming";
  w.replay_lag_bytes = 0;
  w.replay_lag_seconds = 0.01;
  n.walsenders.push_back(w);
  return n;
}

TEST(Check, HealthyIsOkWithPerfdata) {
  auto out = Judge({Primary()}, {});
  EXPECT_EQ(out.state, State::kOk);
  EXPECT_EQ(out.ExitCode(), 0);
  EXPECT_EQ(out.Line(),
            "PGREPLICA OK - 1 primary, 0 standby checked, replication healthy | "
            "db1_up=1 db1_node_a_slot_retained=1024B;1073741824;5368709120 "
            "db1_node_a_slot_replay_lag=0B;16777216;268435456 "
            "db1_node_a_slot_replay_lag_seconds=0.010s;60;300");
}

TEST(Check, SeverityOrder) {
  NodeStatus p = Primary();
  p.slots.push_back(
      {"node_b_slot", "physical", false, 0, "0/1000000", 6LL << 30, "lost", std::nullopt, false});
  NodeStatus dead;
  dead.name = "db9";
  dead.error = "timed out after 3.0 s";
  auto out = Judge({dead, p}, {});
  EXPECT_EQ(out.state, State::kCritical);
  ASSERT_GE(out.problems.size(), 3u);
  EXPECT_NE(out.problems[0].find("lost its WAL"), std::string::npos);
  EXPECT_EQ(Judge({dead}, {}).state, State::kUnknown);
}

TEST(Check, AnInvalidatedSlotIsCriticalWhateverItsWal) {
  // PostgreSQL 17 reports why a slot was invalidated; wal_status may still say "reserved".
  NodeStatus p = Primary();
  EXPECT_EQ(Judge({p}, {}).state, State::kOk);
  p.slots[0].invalidation_reason = "rows_removed";
  auto out = Judge({p}, {});
  EXPECT_EQ(out.state, State::kCritical);
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_NE(out.problems[0].find("node_a_slot is invalidated (rows_removed)"), std::string::npos)
      << out.problems[0];
}

TEST(Check, ClonesInProgressAreNotJudged) {
  NodeStatus p = Primary();
  p.slots.push_back({"pgreplica_copy_12345678", "physical", true, 7, "0/1", 1LL << 40, "extended",
                     std::nullopt, true});
  Walsender bb;
  bb.state = "backup";
  bb.base_backup = true;
  bb.replay_lag_bytes = 1LL << 40;
  p.walsenders.push_back(bb);
  EXPECT_EQ(Judge({p}, {}).state, State::kOk);
}

TEST(Check, StandbyWithoutStreamingIsCriticalNeverLagZero) {
  NodeStatus s;
  s.name = "db2";
  s.reachable = true;
  s.role = "standby";
  s.receiver = Receiver{};
  s.receiver->status = "waiting";
  auto out = Judge({s}, {});
  EXPECT_EQ(out.state, State::kCritical);
  EXPECT_NE(out.Line().find("not streaming"), std::string::npos);
  s.receiver->status = "streaming";
  s.receiver->last_message_age_seconds = 500;
  s.receiver->replay_lag_seconds = 0;
  EXPECT_EQ(Judge({s}, {}).state, State::kCritical) << "a silent link is not healthy, lag 0 or not";
}

// The parts of a Nagios line: exactly one line, one " | " before the performance data.
void ExpectOneNagiosLine(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_EQ(std::count(line.begin(), line.end(), '|'), 1) << line;
}

TEST(Check, AnUnreachableNodeIsOneLineWithPerfdata) {
  NodeStatus dead;
  dead.name = "primary";
  dead.error =
      "could not connect: connection to server at \"127.0.0.1\", port 5999 failed: Connection "
      "refused\n\tIs the server running on that host and accepting TCP/IP connections?\n";
  auto out = Judge({dead}, {});
  EXPECT_EQ(out.state, State::kUnknown);
  std::string line = out.Line();
  ExpectOneNagiosLine(line);
  EXPECT_NE(line.find("Connection refused Is the server running"), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with(" | primary_up=0")) << line;
}

TEST(Check, IdleStandbysKeepTheirLabels) {
  NodeStatus p = Primary();
  p.walsenders[0].replay_lag_seconds.reset();  // idle and caught up: PostgreSQL shows NULL
  auto idle = Judge({p}, {});
  EXPECT_NE(idle.Line().find("db1_node_a_slot_replay_lag_seconds=0s;60;300"), std::string::npos)
      << idle.Line();
  p.walsenders[0].replay_lag_bytes = 4096;  // behind, with no time known
  auto behind = Judge({p}, {});
  EXPECT_NE(behind.Line().find("db1_node_a_slot_replay_lag_seconds=U;60;300"), std::string::npos)
      << behind.Line();
  // A standby keeps its three labels whether it streams or not.
  NodeStatus s;
  s.name = "db2";
  s.reachable = true;
  s.role = "standby";
  for (const char* status : {"streaming", "waiting", ""}) {
    s.receiver = Receiver{};
    s.receiver->status = status;
    s.receiver->replay_lag_seconds = std::string(status) == "streaming" ? 0.5 : 0.0;
    if (std::string(status) != "streaming") s.receiver->replay_lag_seconds.reset();
    std::string line = Judge({s}, {}).Line();
    for (const char* label :
         {"db2_up=1", "db2_replay_lag_seconds=", "db2_replay_behind=", "db2_receiver_silence="})
      EXPECT_NE(line.find(label), std::string::npos) << status << ": " << line;
  }
}

TEST(Check, NamesFromClientsAreEscaped) {
  NodeStatus p = Primary();
  p.slots.clear();
  p.walsenders[0].slot_name.clear();
  p.walsenders[0].application_name = "evil|x=1\n\x1b[2Jname";
  p.walsenders[0].state = "catchup";
  p.slots.push_back({"node|b", "physical", false, 0, "", 1, "reserved", std::nullopt, false});
  auto out = Judge({p}, {.expected_standbys = {"want\nme"}});
  std::string line = out.Line();
  ExpectOneNagiosLine(line);
  EXPECT_NE(line.find("standby evil\\x7cx=1\\x0a\\x1b[2Jname is catchup"), std::string::npos)
      << line;
  EXPECT_NE(line.find("slot node\\x7cb inactive"), std::string::npos) << line;
  EXPECT_NE(line.find("expected standby want\\x0ame"), std::string::npos) << line;
  EXPECT_NE(line.find(" db1_evil_x_1___2Jname_"), std::string::npos) << line;
}

// The labels were the names with every other character as '_': two names, one label.
TEST(Check, NamesThatLookAlikeKeepLabelsOfTheirOwn) {
  NodeStatus p = Primary();
  p.name = "primary";
  p.slots.clear();
  p.walsenders.clear();
  for (const char* app : {"dup|x", "dup x", "dup_x"}) {
    Walsender w;
    w.application_name = app;
    w.state = "streaming";
    w.replay_lag_bytes = 0;
    p.walsenders.push_back(w);
  }
  NodeStatus a = p, b = p;
  a.name = "a-b";
  a.walsenders.clear();
  b.name = "a_b";
  b.walsenders.clear();
  auto labels = [&] {
    std::vector<std::string> out;
    for (const auto& d : Judge({p, a, b}, {}).perfdata) out.push_back(d.label);
    return out;
  };
  auto first = labels();
  std::set<std::string> distinct(first.begin(), first.end());
  EXPECT_EQ(distinct.size(), first.size()) << ::testing::PrintToString(first);
  EXPECT_EQ(labels(), first) << "labels change from run to run";
  // Names that are labels already stay as they are; the others keep a stable hash.
  EXPECT_TRUE(distinct.count("primary_dup_x_replay_lag_seconds"));
  EXPECT_TRUE(distinct.count("a_b_up"));
  EXPECT_EQ(std::count_if(first.begin(), first.end(),
                          [](const std::string& l) {
                            return l.starts_with("primary_dup_x_") && l.ends_with("_replay_lag");
                          }),
            3);
  for (const auto& l : first)
    EXPECT_TRUE(std::all_of(l.begin(), l.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_';
    })) << l;
  // A collision of whole labels (node "x" with slot "y_z", node "x_y" with slot "z") as well.
  NodeStatus x = Primary(), xy = Primary();
  x.name = "x";
  x.slots[0].name = "y_z";
  x.walsenders.clear();
  xy.name = "x_y";
  xy.slots[0].name = "z";
  xy.walsenders.clear();
  auto both = Judge({x, xy}, {}).perfdata;
  ASSERT_EQ(both.size(), 4u);
  EXPECT_EQ(both[1].label, "x_y_z_retained");
  EXPECT_EQ(both[3].label, "x_y_z_retained_2");
}

// A pgreplica_copy_* slot that nothing streams through was shown as "clone in progress" and
// never judged: an interrupted clone's leftover, holding WAL back.
TEST(Check, ALeftoverCopySlotIsJudgedLikeAnInactiveSlot) {
  NodeStatus p = Primary();
  p.slots.push_back({"pgreplica_copy_12345678", "physical", false, 0, "0/1", 2LL << 30, "extended",
                     std::nullopt, true});
  auto out = Judge({p}, {});
  EXPECT_EQ(out.state, State::kWarning);
  EXPECT_NE(out.Line().find("slot pgreplica_copy_12345678 inactive: left over from an "
                            "interrupted clone"),
            std::string::npos)
      << out.Line();
  EXPECT_NE(out.Line().find(" db1_pgreplica_copy_12345678_retained=2147483648B;"),
            std::string::npos)
      << out.Line();
  EXPECT_EQ(Judge({p}, {.retained_crit_bytes = 1LL << 30}).state, State::kCritical);
  EXPECT_NE(ToText({p}).find("(left over from an interrupted clone)"), std::string::npos);
  p.slots.back().active = true;  // streaming: a clone in progress
  EXPECT_EQ(Judge({p}, {}).state, State::kOk);
  EXPECT_NE(ToText({p}).find("(clone in progress)"), std::string::npos);
}

// pg_ctl promote on the local standby: check said OK, judging it as a primary.
TEST(Check, AConfiguredStandbyOutOfRecoveryIsCritical) {
  NodeStatus local;
  local.name = "local";
  local.reachable = true;
  local.role = "primary";
  local.expect_standby = true;
  auto out = Judge({local}, {});
  EXPECT_EQ(out.state, State::kCritical);
  std::string line = out.Line();
  EXPECT_NE(line.find("local: not in recovery: the configured standby runs as a primary "
                      "(promoted?)"),
            std::string::npos)
      << line;
  for (const char* label : {"local_up=1", "local_replay_lag_seconds=U", "local_replay_behind=U",
                            "local_receiver_silence=U"})
    EXPECT_NE(line.find(label), std::string::npos) << label << ": " << line;
  EXPECT_NE(ToText({local}).find("NOT IN RECOVERY"), std::string::npos);
  EXPECT_EQ(ToJson(local)["expected_role"], "standby");
}

TEST(Check, PerfNumbersHaveNoExponentAndNoUndefinedCast) {
  EXPECT_EQ(FormatPerfNumber(0), "0");
  EXPECT_EQ(FormatPerfNumber(-3), "-3");
  EXPECT_EQ(FormatPerfNumber(0.0104), "0.010");
  EXPECT_EQ(FormatPerfNumber(1e30), "1000000000000000019884624838656.000");
  EXPECT_EQ(FormatPerfNumber(std::nan("")), "U");
  EXPECT_EQ(FormatPerfNumber(-std::numeric_limits<double>::infinity()), "U");
  EXPECT_EQ((PerfData{"a b'c", 1.5, "s", "", ""}.Format()), "'a b''c'=1.500s");
  EXPECT_EQ((PerfData{"x", std::nullopt, "B", "1", "2"}.Format()), "x=U;1;2");
}

TEST(Text, StatusNeverPrintsControlCharacters) {
  NodeStatus p = Primary();
  p.walsenders[0].application_name = "\x1b]0;owned\x07\x1b[2J";
  p.slots[0].name = "slot\rx";
  NodeStatus dead;
  dead.name = "db9";
  dead.error = "could not connect: refused\n\tIs the server running?";
  std::string text = ToText({p, dead});
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_NE(text.find("\\x1b]0;owned\\x07\\x1b[2J"), std::string::npos) << text;
  EXPECT_NE(text.find("UNREACHABLE: could not connect: refused Is the server running?\n"),
            std::string::npos)
      << text;
}

// docs/monitoring.md: '|' is \x7c in the text output as in check's line.
TEST(Text, StatusEscapesTheBar) {
  NodeStatus p = Primary();
  p.walsenders[0].application_name = "a|b";
  p.slots[0].name = "s|t";
  std::string text = ToText({p});
  EXPECT_EQ(text.find('|'), std::string::npos) << text;
  EXPECT_NE(text.find("a\\x7cb"), std::string::npos) << text;
  EXPECT_NE(text.find("s\\x7ct"), std::string::npos) << text;
}

TEST(Check, UnknownLineIsOneLine) {
  EXPECT_EQ(UnknownLine("could not read inventory \"a|b\"\nsecond line"),
            "PGREPLICA UNKNOWN - could not read inventory \"a\\x7cb\" second line");
}

TEST(Prometheus, EscapesAndGroups) {
  EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  std::string text = ToPrometheus({Primary()});
  EXPECT_NE(text.find("# TYPE pgreplica_slot_active "
                      "gauge\npgreplica_slot_active{node=\"db1\",slot=\"node_a_slot\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "pgreplica_standby_replay_lag_seconds{application_name=\"node_a_slot\",client_addr=\"\","
          "node=\"db1\",slot=\"node_a_slot\"} 0.01"),
      std::string::npos)
      << text;
  // One HELP line per metric, however many samples.
  size_t first = text.find("# HELP pgreplica_up");
  EXPECT_EQ(text.find("# HELP pgreplica_up", first + 1), std::string::npos);
}

TEST(Inventory, ParsesAndValidates) {
  auto nodes = ParseInventory(
      "defaults: {user: mon, timeout: 2}\nnodes:\n  - {name: a, host: 10.0.0.1}\n  - {host: db-2, "
      "port: 5433}\n",
      "inv.yaml");
  ASSERT_TRUE(nodes) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].params.user, "mon");
  EXPECT_EQ((*nodes)[0].timeout.count(), 2000);
  EXPECT_EQ((*nodes)[1].name, "db-2:5433");
  for (const char* bad :
       {"nodes: []\n", "nodes:\n  - {name: a}\n", "nodes:\n  - {host: 'a b'}\n",
        "nodes:\n  - {host: a, port: 0}\n", "nodes:\n  - {host: a, timeout: x}\n",
        "nodes:\n  - {host: a, name: x}\n  - {host: b, name: x}\n", "other: 1\nnodes: []\n"}) {
    auto r = ParseInventory(bad, "inv.yaml");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid) << bad;
    EXPECT_NE(r.error().message.find("inv.yaml"), std::string::npos);
  }
  EXPECT_EQ(ParseInventory("nodes: [", "i").error().kind, ErrorKind::kConfigSyntax);
}

}  // namespace pgreplica::monitor
