// Issue 11 against real clusters: server messages kept whole, commands that
// cannot do silent damage, monitoring output that stays one parseable line.

#include <gtest/gtest.h>

#include "pg/connection.h"
#include "support/cli.h"
#include "support/cluster.h"

namespace pgreplica::testing {
namespace {

class InputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Cluster::Create(ws_, {});
    ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
    primary_ = std::move(*p);
  }
  Workspace ws_;
  std::unique_ptr<Cluster> primary_;
};

TEST_F(InputTest, QueryErrorsKeepTheServersDetailAndHint) {
  auto conn = primary_->Connect();
  ASSERT_TRUE(conn) << conn.error().message;
  auto r = conn->Exec(
      "DO $$ BEGIN RAISE EXCEPTION 'no luck' USING DETAIL = 'The detail from the server.', "
      "HINT = 'The hint from the server.', ERRCODE = '55000'; END $$");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no luck"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().detail.rfind("The detail from the server.", 0), 0u) << r.error().detail;
  EXPECT_NE(r.error().detail.find("SQLSTATE 55000"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().hint, "The hint from the server.");
  // A real one: a role that owns objects cannot be dropped, and the server says which.
  ASSERT_TRUE(primary_->Sql("CREATE ROLE owner_role"));
  ASSERT_TRUE(primary_->Sql("CREATE TABLE owned(v int)"));
  ASSERT_TRUE(primary_->Sql("ALTER TABLE owned OWNER TO owner_role"));
  auto drop = conn->Exec("DROP ROLE owner_role");
  ASSERT_FALSE(drop);
  EXPECT_NE(drop.error().detail.find("owner of table owned"), std::string::npos)
      << drop.error().detail;
}

}  // namespace
}  // namespace pgreplica::testing
