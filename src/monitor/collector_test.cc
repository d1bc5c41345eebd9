// The status query's answer as libpq hands it over, built by hand: what a
// proxy or an odd server could send must become an unreachable node with a
// reason, never an exception.

#include "monitor/collector.h"

#include <libpq-fe.h>

#include <memory>

#include <gtest/gtest.h>

namespace pgreplica::monitor {
namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A PGresult with `columns` text columns named c0.. and the given rows (nullptr: NULL).
ResultPtr MakeResult(int columns, const std::vector<std::vector<const char*>>& rows) {
  ResultPtr r(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK), &PQclear);
  std::vector<std::string> names;
  for (int i = 0; i < columns; ++i) names.push_back("c" + std::to_string(i));
  std::vector<PGresAttDesc> attrs(columns);
  for (int i = 0; i < columns; ++i) {
    attrs[i] = {};
    attrs[i].name = names[i].data();
    attrs[i].typlen = -1;
  }
  EXPECT_TRUE(PQsetResultAttrs(r.get(), columns, attrs.data()));
  for (size_t row = 0; row < rows.size(); ++row) {
    for (int col = 0; col < columns; ++col) {
      const char* v = rows[row][col];
      EXPECT_TRUE(PQsetvalue(r.get(), static_cast<int>(row), col, const_cast<char*>(v),
                             v ? static_cast<int>(strlen(v)) : -1));
    }
  }
  return r;
}

struct Answer {
  ResultPtr facts, slots, senders, receiver;
  std::vector<const PGresult*> raw() const {
    return {facts.get(), slots.get(), senders.get(), receiver.get()};
  }
};

// The slot columns invalidation_reason, inactive_since and its age are "" and NULL before
// PostgreSQL 17.
Answer Primary(const char* pid, const char* lag_bytes, const char* lag_seconds,
               std::vector<const char*> since17 = {"", nullptr, nullptr}) {
  return {MakeResult(3, {{"f", "150004", "0/3000060"}}),
          MakeResult(12, {{"node_a_slot", "physical", "t", pid, "0/3000000", "1024", "reserved",
                           nullptr, "f", since17[0], since17[1], since17[2]}}),
          MakeResult(14, {{pid, "node_a", "127.0.0.1", "streaming", "async", "node_a_slot", "f",
                           "0", "0", "0", lag_bytes, nullptr, nullptr, lag_seconds}}),
          MakeResult(10, {{"", "", "0", "", "", "", "0", nullptr, nullptr, "f"}})};
}

TEST(Collector, FillsAPrimary) {
  Answer a = Primary("4242", "16", "0.25");
  NodeStatus n;
  ASSERT_EQ(FillStatus(n, a.raw()), std::nullopt);
  EXPECT_EQ(n.role, "primary");
  EXPECT_EQ(n.server_version, 150004);
  ASSERT_EQ(n.slots.size(), 1u);
  EXPECT_EQ(n.slots[0].active_pid, 4242);
  EXPECT_EQ(n.slots[0].retained_bytes, 1024);
  ASSERT_EQ(n.walsenders.size(), 1u);
  EXPECT_EQ(n.walsenders[0].replay_lag_bytes, 16);
  EXPECT_EQ(n.walsenders[0].replay_lag_seconds, 0.25);
  EXPECT_FALSE(n.walsenders[0].write_lag_seconds);
  EXPECT_EQ(n.slots[0].invalidation_reason, "");
  EXPECT_FALSE(n.slots[0].inactive_since);
  EXPECT_FALSE(n.slots[0].inactive_seconds);
  auto json = ToJson(n);
  EXPECT_TRUE(json["slots"][0]["invalidation_reason"].is_null());
  EXPECT_TRUE(json["slots"][0]["inactive_since"].is_null());
}

TEST(Collector, FillsTheSlotColumnsOfPostgres17) {
  Answer a = Primary("0", "16", "0.25", {"wal_removed", "2026-11-27T04:00:00.5+00:00", "12.5"});
  NodeStatus n;
  ASSERT_EQ(FillStatus(n, a.raw()), std::nullopt);
  ASSERT_EQ(n.slots.size(), 1u);
  EXPECT_EQ(n.slots[0].invalidation_reason, "wal_removed");
  EXPECT_EQ(n.slots[0].inactive_since, "2026-11-27T04:00:00.5+00:00");
  EXPECT_EQ(n.slots[0].inactive_seconds, 12.5);
  auto json = ToJson(n);
  EXPECT_EQ(json["slots"][0]["invalidation_reason"], "wal_removed");
  EXPECT_EQ(json["slots"][0]["inactive_since"], "2026-11-27T04:00:00.5+00:00");
  EXPECT_EQ(json["slots"][0]["inactive_seconds"], 12.5);
}

TEST(Collector, RejectsNumbersThatDoNotParse) {
  for (auto [pid, bytes, seconds] :
       {std::tuple{"x", "16", "0.25"}, std::tuple{"99999999999", "16", "0.25"},
        std::tuple{"1", "99999999999999999999", "0.25"}, std::tuple{"1", "16", "NaN"},
        std::tuple{"1", "16", "Infinity"}, std::tuple{"1", "16", "1e999"},
        std::tuple{"1", "", "0.25"}, std::tuple{"1 ", "16", "0.25"}}) {
    Answer a = Primary(pid, bytes, seconds);
    NodeStatus n;
    n.name = "db1";
    auto error = FillStatus(n, a.raw());
    ASSERT_TRUE(error) << pid << " " << bytes << " " << seconds;
    EXPECT_NE(error->find("unexpected value"), std::string::npos) << *error;
    EXPECT_TRUE(n.slots.empty()) << "the node is left as it was";
  }
}

TEST(Collector, RejectsAnAnswerOfTheWrongShape) {
  Answer a = Primary("1", "0", "0");
  NodeStatus n;
  auto raw = a.raw();
  EXPECT_TRUE(FillStatus(n, {raw[0], raw[1], raw[2]}));
  auto narrow = MakeResult(2, {{"f", "150004"}});
  EXPECT_TRUE(FillStatus(n, {narrow.get(), raw[1], raw[2], raw[3]}));
  auto empty = MakeResult(3, {});
  EXPECT_TRUE(FillStatus(n, {empty.get(), raw[1], raw[2], raw[3]}));
  EXPECT_TRUE(FillStatus(n, {raw[0], raw[1], raw[2], nullptr}));
}

TEST(Collector, ValuesWithControlCharactersAreQuotedSafely) {
  Answer a = Primary("\x1b[31m", "0", "0");
  NodeStatus n;
  auto error = FillStatus(n, a.raw());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->find('\x1b'), std::string::npos) << *error;
}

}  // namespace
}  // namespace pgreplica::monitor
