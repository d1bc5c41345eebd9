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
