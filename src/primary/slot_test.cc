#include "primary/slot.h"

#include <gtest/gtest.h>

#include "conf/validate.h"
#include "local/datadir.h"

namespace pgreplica::replica {

TEST(SlotName, FollowsTheArticleForPlainNames) {
  EXPECT_EQ(DefaultSlotName("replica"), "node_replica_slot");
  EXPECT_EQ(DefaultSlotName("replica.example.com"), "node_replica_slot");
}

TEST(SlotName, IsValidForAnyHostName) {
  EXPECT_EQ(DefaultSlotName("replica-01.example.com"), "node_replica_01_slot");
  EXPECT_EQ(DefaultSlotName("DB-West-2"), "node_db_west_2_slot");
  EXPECT_EQ(DefaultSlotName("ümlaut"), "node___mlaut_slot");
  for (std::string host : std::vector<std::string>{
           "replica-01.example.com", "A.B", "x", "", "-", std::string(300, 'h'),
           std::string(70, 'a') + "-" + std::string(70, 'b')}) {
    std::string name = DefaultSlotName(host);
    EXPECT_FALSE(conf::CheckSlotName(name)) << host << " -> " << name;
    EXPECT_LE(name.size(), 63u);
  }
}

TEST(SlotName, TruncatedNamesStayDistinct) {
  std::string a = DefaultSlotName(std::string(80, 'a') + "1");
  std::string b = DefaultSlotName(std::string(80, 'a') + "2");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 63u);
  EXPECT_TRUE(a.ends_with("_slot"));
}

TEST(SlotName, CopySlotIsDeterministicAndValid) {
  EXPECT_EQ(CloneSlotName("node_a_slot"), CloneSlotName("node_a_slot"));
  EXPECT_NE(CloneSlotName("node_a_slot"), CloneSlotName("node_b_slot"));
  EXPECT_FALSE(conf::CheckSlotName(CloneSlotName(std::string(63, 'z'))));
}

Error HeldError() { return Error{.message = "slot is active", .sqlstate = kObjectInUse}; }

TEST(SlotDrop, RetriesOnlyWhileTheSlotIsHeld) {
  int tries = 0;
  std::vector<int> held;
  auto dropped = DropSlotRetrying(
      [&]() -> Result<bool> {
        if (++tries < 3) return std::unexpected(HeldError());
        return true;
      },
      {.pause = std::chrono::milliseconds(0), .on_held = [&](int n) -> Status {
         held.push_back(n);
         return {};
       }});
  ASSERT_TRUE(dropped);
  EXPECT_TRUE(*dropped);
  EXPECT_EQ(tries, 3);
  EXPECT_EQ(held, (std::vector<int>{0, 1}));

  tries = 0;
  auto other = DropSlotRetrying([&]() -> Result<bool> {
    ++tries;
    return std::unexpected(Error{.message = "connection refused"});
  });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message, "connection refused");
  EXPECT_EQ(tries, 1);

  auto absent = DropSlotRetrying([] { return Result<bool>(false); });
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(SlotDrop, GivesUpAfterTheTriesWithTheHeldError) {
  int tries = 0;
  std::vector<int> held;
  auto dropped = DropSlotRetrying(
      [&]() -> Result<bool> {
        ++tries;
        return std::unexpected(HeldError());
      },
      {.tries = 4, .pause = std::chrono::milliseconds(0), .on_held = [&](int n) -> Status {
         held.push_back(n);
         return {};
       }});
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().sqlstate, kObjectInUse);
  EXPECT_EQ(tries, 4);
  EXPECT_EQ(held, (std::vector<int>{0, 1, 2}));  // not after the last try

  tries = 0;
  auto stopped = DropSlotRetrying(
      [&]() -> Result<bool> {
        ++tries;
        return std::unexpected(HeldError());
      },
      {.pause = std::chrono::milliseconds(0),
       .on_held = [](int) -> Status { return Fail(ErrorKind::kQuery, "could not end it"); }});
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message, "could not end it");
  EXPECT_EQ(tries, 1);
}

TEST(DataDir, ReadsTheLastSetting) {
  std::string conf =
      "# primary_slot_name = 'commented'\n"
      "primary_slot_name = 'first'\n"
      "primary_conninfo = 'user=''x'' host=h'\n"
      "primary_slot_name='second'  # trailing\n"
      "primary_slot_name_other = 'no'\n";
  EXPECT_EQ(ReadConfSetting(conf, "primary_slot_name"), "second");
  EXPECT_EQ(ReadConfSetting("port = 5433\n", "port"), "5433");
  EXPECT_EQ(ReadConfSetting("", "port"), "");
  // pg_basebackup -R quotes the conninfo's own quotes by doubling them.
  EXPECT_EQ(ReadConfSetting("primary_conninfo = 'user=r passfile=''/x y/p'' host=h port=5'\n",
                            "primary_conninfo"),
            "user=r passfile='/x y/p' host=h port=5");
}

}  // namespace pgreplica::replica
