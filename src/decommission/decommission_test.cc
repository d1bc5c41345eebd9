#include "decommission/decommission.h"

#include <gtest/gtest.h>

namespace pgreplica::replica {
namespace {

TEST(Decommission, SlotForNodeTakesHostNames) {
  EXPECT_EQ(SlotForNode("replica-01.example.com").value_or(""), "node_replica_01_slot");
  EXPECT_EQ(SlotForNode("DB_West-2").value_or(""), "node_db_west_2_slot");
  EXPECT_EQ(SlotForNode("r1").value_or(""), "node_r1_slot");
}

// Each of these used to become some slot: "" and the dot names this host's own or
// node_host_slot, "a b" node_a_b_slot.
TEST(Decommission, SlotForNodeRejectsWhatIsNotAHostName) {
  for (const char* bad :
       {"",         ".",    "..",           "...",  "../../x", "./x",    "/etc/x",  "a b", " a",
        "a\tb",     "a\nb", ".example.com", "a..b", "a.",      "-rf",    "a.-b",    "a/b", "a:b",
        "10.0.0.5", "::1",  "fe80::1",      "a;b",  "a$b",     "ümlaut", "\x1b[31m"}) {
    auto r = SlotForNode(bad);
    ASSERT_FALSE(r) << "\"" << bad << "\" gave " << *r;
    EXPECT_EQ(r.error().kind, ErrorKind::kUsage) << bad;
    EXPECT_EQ(r.error().message.rfind("invalid node name", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos) << "escaped for the terminal";
  }
}

TEST(Decommission, ValidateNeedsAValidSlotAndAPrimary) {
  conf::Config c;
  c.primary.host = "db1";
  EXPECT_TRUE(ValidateDecommission(c, {.slot = "node_a_slot"}));
  for (const char* bad : {"", "Node-A", "a b", "a/../b"}) {
    auto r = ValidateDecommission(c, {.slot = bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kUsage) << bad;
  }
  EXPECT_EQ(ValidateDecommission(c, {.slot = "node_a_slot", .remove_data = true}).error().kind,
            ErrorKind::kUsage);
  c.primary.host.clear();
  EXPECT_EQ(ValidateDecommission(c, {.slot = "node_a_slot"}).error().kind,
            ErrorKind::kConfigInvalid);
}

}  // namespace
}  // namespace pgreplica::replica
