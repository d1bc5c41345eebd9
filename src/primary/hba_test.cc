#include "primary/hba.h"

#include <gtest/gtest.h>

namespace pgreplica::replica {
namespace {

bool Allows(const std::string& contents, const HbaRule& rule) {
  auto m = FindHbaRule(contents, rule);
  return m && !m->rejects();
}

TEST(Hba, FormatsAndQuotes) {
  EXPECT_EQ(FormatHbaLine({"replicator", "10.0.0.5/32"}),
            "host replication replicator 10.0.0.5/32 scram-sha-256");
  EXPECT_EQ(FormatHbaLine({"Rep-User", "samenet"}),
            "host replication \"Rep-User\" samenet scram-sha-256");
  EXPECT_EQ(FormatHbaLine({"all", "samenet"}), "host replication \"all\" samenet scram-sha-256");
  EXPECT_EQ(FormatHbaLine({"+admins", "samenet"}),
            "host replication \"+admins\" samenet scram-sha-256");
}

// A crafted role name once closed the quotes and added its own "trust" line.
TEST(Hba, AQuoteInTheUserNameCannotInjectALine) {
  std::string evil = "x\" all 0.0.0.0/0 trust #";
  std::string line = FormatHbaLine({evil, "10.0.0.5/32"});
  EXPECT_EQ(line, "host replication \"x\"\" all 0.0.0.0/0 trust #\" 10.0.0.5/32 scram-sha-256");
  auto f = HbaFields(line);
  ASSERT_EQ(f.size(), 5u) << line;
  ASSERT_EQ(f[2].size(), 1u);
  EXPECT_EQ(f[2][0].text, evil);
  EXPECT_EQ(f[3][0].text, "10.0.0.5/32");
  EXPECT_EQ(f[4][0].text, "scram-sha-256");
  EXPECT_TRUE(Allows(line + "\n", {evil, "10.0.0.5/32"}));
  EXPECT_FALSE(Allows(line + "\n", {"x", "10.0.0.5/32"}));
}

TEST(Hba, SplitsFieldsLikeTheServer) {
  auto f = HbaFields("hostssl all,replication \"rep\", other 10.0.0.5/32 md5 # comment \"x");
  ASSERT_EQ(f.size(), 5u);
  ASSERT_EQ(f[1].size(), 2u);
  EXPECT_EQ(f[1][1].text, "replication");
  ASSERT_EQ(f[2].size(), 2u);
  EXPECT_TRUE(f[2][0].quoted);
  EXPECT_EQ(f[2][1].text, "other");
  EXPECT_TRUE(HbaFields("   # only a comment").empty());
  EXPECT_EQ(HbaFields("host \"a b\" c").size(), 3u);
}

TEST(Hba, FindsExistingRules) {
  std::string conf =
      "# comment host replication rep 10.0.0.5/32 md5\n"
      "local all all peer\n"
      "hostssl all,replication rep,other 10.0.0.5/32 scram-sha-256\n";
  EXPECT_TRUE(Allows(conf, {"rep", "10.0.0.5/32"}));
  EXPECT_FALSE(Allows(conf, {"rep", "10.0.0.6/32"}));
  EXPECT_FALSE(Allows(conf, {"nobody", "10.0.0.5/32"}));
  EXPECT_TRUE(Allows("host replication all 1.2.3.4/32 md5\n", {"x", "1.2.3.4/32"}));
  EXPECT_TRUE(Allows("host replication \"Rep\" 1.2.3.4/32 md5\n", {"Rep", "1.2.3.4/32"}));
  // "all" as a database does not cover replication connections; quoted "all" is a role name.
  EXPECT_FALSE(Allows("host all all 1.2.3.4/32 md5\n", {"x", "1.2.3.4/32"}));
  EXPECT_FALSE(Allows("host replication \"all\" 1.2.3.4/32 md5\n", {"x", "1.2.3.4/32"}));
  // Wider blocks, and address plus netmask.
  EXPECT_TRUE(Allows("host replication rep 10.0.0.0/8 md5\n", {"rep", "10.0.0.5/32"}));
  EXPECT_TRUE(Allows("host replication rep 10.0.0.0 255.0.0.0 md5\n", {"rep", "10.0.0.5"}));
  EXPECT_FALSE(Allows("host replication rep 10.0.0.0/24 md5\n", {"rep", "10.0.0.0/16"}));
  EXPECT_TRUE(Allows("host replication rep ::1/128 md5\n", {"rep", "::1"}));
  EXPECT_TRUE(Allows("host replication rep all md5\n", {"rep", "samenet"}));
}

// A reject line for the role was counted as "allowed": setup said all was well.
TEST(Hba, TheFirstMatchingLineDecidesAndRejectIsNoAllow) {
  HbaRule rep{"rep", "10.0.0.5/32"};
  auto m = FindHbaRule("host replication rep 10.0.0.5/32 reject\n", rep);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->rejects());
  EXPECT_EQ(m->line_number, 1);
  EXPECT_TRUE(FindHbaRule("host replication all 10.0.0.0/8 reject\n"
                          "host replication rep 10.0.0.5/32 scram-sha-256\n",
                          rep)
                  ->rejects());
  auto allowed = FindHbaRule(
      "host replication rep 10.0.0.5/32 scram-sha-256\n"
      "host replication rep 10.0.0.5/32 reject\n",
      rep);
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(allowed->rejects());
  EXPECT_EQ(allowed->method, "scram-sha-256");
}

TEST(Hba, InsertsBeforeTheFirstRule) {
  std::string conf = "# header\n\nlocal all all peer\nhost all all 0.0.0.0/0 reject\n";
  std::string out = InsertHbaRule(conf, {"rep", "127.0.0.1/32"});
  EXPECT_EQ(out,
            "# header\n\n"
            "# Added by pgreplica primary setup: streaming replication for rep.\n"
            "host replication rep 127.0.0.1/32 scram-sha-256\n"
            "local all all peer\nhost all all 0.0.0.0/0 reject\n");
  EXPECT_TRUE(Allows(out, {"rep", "127.0.0.1/32"}));
  EXPECT_EQ(InsertHbaRule("", {"r", "samehost"}),
            "# Added by pgreplica primary setup: streaming replication for r.\n"
            "host replication r samehost scram-sha-256\n");
}

// A reject line for 127.0.0.5/32 did not stop setup from adding 127.0.0.0/24 above it, which
// let 127.0.0.5 in.
TEST(Hba, ARejectThatOverlapsTheNewAddressIsFound) {
  HbaRule wide{"rep", "127.0.0.0/24"};
  std::string narrow_reject = "host replication all 127.0.0.5/32 reject\n";
  EXPECT_FALSE(FindHbaRule(narrow_reject, wide)) << "the old check did not see it";
  auto m = FindOverlappingReject(narrow_reject, wide);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->line_number, 1);
  // Contained, containing, equal, address and mask, all, names that cannot be compared.
  for (const char* line :
       {"host replication rep 127.0.0.0/16 reject", "hostssl replication rep 127.0.0.0/24 reject",
        "host replication rep 127.0.0.128 255.255.255.128 reject",
        "host replication rep all reject", "host replication rep samenet reject",
        "host replication rep db2.example.com reject",
        "host replication +blocked 127.0.0.9/32 "
        "reject",
        "host replication @blocked.txt 127.0.0.9/32 reject",
        "host all,replication \"rep\" 127.0.0.9/32 reject"})
    EXPECT_TRUE(FindOverlappingReject(std::string("local all all peer\n") + line + "\n", wide))
        << line;
  // Not for this role, not for replication, not a reject, another block, another family.
  for (const char* line :
       {"host replication other 127.0.0.5/32 reject",
        "host replication \"all\" 127.0.0.5/32 reject", "host all all 127.0.0.5/32 reject",
        "host replication rep 127.0.0.5/32 scram-sha-256",
        "host replication rep 127.0.1.0/24 reject", "host replication rep ::1/128 reject",
        "local replication rep reject", "# host replication rep 127.0.0.5/32 reject"})
    EXPECT_FALSE(FindOverlappingReject(std::string(line) + "\n", wide)) << line;
  // A new address that cannot be compared overlaps every address.
  EXPECT_TRUE(FindOverlappingReject(narrow_reject, {"rep", "samenet"}));
}

// After two insertions the second comment sat above the first line and the first comment
// above the second.
TEST(Hba, EachCommentStaysAboveItsOwnLine) {
  std::string conf = "# header\n\nlocal all all peer\n";
  std::string once = InsertHbaRule(conf, {"rep", "10.0.0.1/32"});
  std::string twice = InsertHbaRule(once, {"rep", "10.0.0.2/32"});
  EXPECT_EQ(twice,
            "# header\n\n"
            "# Added by pgreplica primary setup: streaming replication for rep.\n"
            "host replication rep 10.0.0.2/32 scram-sha-256\n"
            "# Added by pgreplica primary setup: streaming replication for rep.\n"
            "host replication rep 10.0.0.1/32 scram-sha-256\n"
            "local all all peer\n");
}

}  // namespace
}  // namespace pgreplica::replica
