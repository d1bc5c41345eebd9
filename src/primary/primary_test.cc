#include "primary/primary.h"

#include <gtest/gtest.h>

namespace pgreplica::replica {
namespace {

// A setup that stopped after changing something said nothing of what it had changed.
TEST(PrimarySetup, AResultThatStoppedStillListsWhatWasChanged) {
  SetupResult r;
  r.actions.push_back({"wal_level", false, false, "wal_level = replica already"});
  r.actions.push_back({"replication_role", true, false, "created role \"replicator\""});
  r.error = Error{ErrorKind::kEnvironment, "pg_hba.conf would not be valid with the new line"};
  auto j = ToJson(r);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["changed"], true);
  ASSERT_EQ(j["actions"].size(), 2u);
  EXPECT_EQ(j["actions"][0]["status"], "ok");
  EXPECT_EQ(j["actions"][1]["status"], "changed");
}

TEST(PrimarySetup, EachActionHasAnHonestStatus) {
  SetupResult r;
  SetupAction failed{"password", false, false, "the password does not match"};
  failed.failed = true;
  SetupAction pending{"replication_connection", false, false, "fails until the restart"};
  pending.pending = true;
  r.actions = {failed, pending};
  EXPECT_TRUE(r.failed());
  auto j = ToJson(r);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["changed"], false);
  EXPECT_EQ(j["actions"][0]["status"], "failed");
  EXPECT_EQ(j["actions"][1]["status"], "pending");
  r.actions = {pending};
  EXPECT_EQ(ToJson(r)["ok"], true);
}

}  // namespace
}  // namespace pgreplica::replica
