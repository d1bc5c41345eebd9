#include "pg/binaries.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "clone/clone.h"

namespace pgreplica::pg {
namespace {

Program Found(const std::string& name, int major) {
  return {name, "/opt/pg/bin/" + name, major,
          name + " (PostgreSQL) " + std::to_string(major) + ".3"};
}

TEST(VersionRule, ServerProgramsMustBeThePrimarysMajorExactly) {
  for (const auto& name : kServerPrograms) {
    EXPECT_TRUE(CheckProgramVersion(Found(name, 14), true, 14));
    for (int other : {13, 15, 18}) {
      auto ok = CheckProgramVersion(Found(name, other), true, 14);
      ASSERT_FALSE(ok) << name << " " << other;
      EXPECT_EQ(ok.error().kind, ErrorKind::kEnvironment);
      EXPECT_EQ(ok.error().message,
                fmt::format("local {} is PostgreSQL {}, but the primary runs PostgreSQL 14", name,
                            other));
      EXPECT_NE(ok.error().detail.find("must be of the primary's major version exactly"),
                std::string::npos);
      EXPECT_NE(ok.error().hint.find("PostgreSQL 14"), std::string::npos);
      EXPECT_NE(ok.error().hint.find("local.bindir"), std::string::npos);
    }
  }
}

TEST(VersionRule, ClientProgramsMayBeNewerNeverOlder) {
  for (const auto& name : kClientPrograms) {
    EXPECT_TRUE(CheckProgramVersion(Found(name, 14), false, 14));
    EXPECT_TRUE(CheckProgramVersion(Found(name, 15), false, 14));
    EXPECT_TRUE(CheckProgramVersion(Found(name, 18), false, 13));
    auto ok = CheckProgramVersion(Found(name, 15), false, 18);
    ASSERT_FALSE(ok) << name;
    EXPECT_EQ(
        ok.error().message,
        fmt::format("local {} is PostgreSQL 15, older than the primary's PostgreSQL 18", name));
    EXPECT_NE(ok.error().hint.find("local.client_bindir"), std::string::npos);
  }
}

TEST(VersionRule, AMissingProgramNamesItsDirectory) {
  auto t = InspectCloneToolset("/nonexistent/bin", "", 15);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "could not find program \"pg_ctl\" in \"/nonexistent/bin\"");
}

TEST(WalCheck, OnlyAVerifierOfThePrimarysMajorParsesTheWal) {
  auto same = replica::ChooseWalCheck(15, 15);
  EXPECT_TRUE(same.parse);
  EXPECT_EQ(same.explanation, "");
  auto newer = replica::ChooseWalCheck(15, 14);
  EXPECT_FALSE(newer.parse);
  EXPECT_NE(
      newer.explanation.find("pg_verifybackup and pg_waldump 15 read only PostgreSQL 15's WAL"),
      std::string::npos)
      << newer.explanation;
  EXPECT_NE(newer.explanation.find("PostgreSQL 14"), std::string::npos);
  EXPECT_TRUE(replica::ChooseWalCheck(15, 0).parse) << "an unknown primary: the full check";
}

}  // namespace
}  // namespace pgreplica::pg
