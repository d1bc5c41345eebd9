#include "pg/lsn.h"

#include <gtest/gtest.h>

#include "pg/conninfo.h"

namespace pgreplica::pg {

TEST(Lsn, ParsesAndFormats) {
  EXPECT_EQ(ParseLsn("0/0"), 0u);
  EXPECT_EQ(ParseLsn("16/B374D848"), (0x16ull << 32) | 0xB374D848ull);
  EXPECT_EQ(FormatLsn(*ParseLsn("2CE/53C15448")), "2CE/53C15448");
  EXPECT_EQ(FormatLsn(0x100000000ull), "1/0");
}

TEST(Lsn, RejectsMalformed) {
  for (const char* bad : {"", "/", "1/", "/1", "x/1", "1/1/1", "123456789/0", "1 /2", "-1/0"})
    EXPECT_FALSE(ParseLsn(bad).has_value()) << bad;
}

TEST(Lsn, DiffClampsAtZero) {
  EXPECT_EQ(LsnDiff(*ParseLsn("1/10"), *ParseLsn("1/0")), 16u);
  EXPECT_EQ(LsnDiff(*ParseLsn("1/0"), *ParseLsn("0/FFFFFFFF")), 1u);
  EXPECT_EQ(LsnDiff(*ParseLsn("0/10"), *ParseLsn("1/0")), 0u);
}

TEST(Conninfo, QuotesValues) {
  EXPECT_EQ(QuoteConninfoValue("plain"), "'plain'");
  EXPECT_EQ(QuoteConninfoValue("it's a \\ test"), "'it\\'s a \\\\ test'");
  EXPECT_EQ(QuoteConninfoValue(""), "''");
}

TEST(Conninfo, NeverRendersPassword) {
  ConnParams p;
  p.host = "db-1.example.com";
  p.port = 5433;
  p.user = "rep user";
  p.password = "s3cret";
  p.replication = true;
  std::string s = ToConninfo(p);
  EXPECT_EQ(s.find("s3cret"), std::string::npos);
  EXPECT_NE(s.find("host='db-1.example.com'"), std::string::npos);
  EXPECT_NE(s.find("user='rep user'"), std::string::npos);
  EXPECT_NE(s.find("port='5433'"), std::string::npos);
  // The keyword form carries it for PQconnectdbParams only.
  bool has_password = false, has_replication = false, has_dbname = false;
  for (const auto& [k, v] : ToKeywords(p)) {
    has_password |= k == "password" && v == "s3cret";
    has_replication |= k == "replication" && v == "true";
    has_dbname |= k == "dbname" && v == "replication";
  }
  EXPECT_TRUE(has_password);
  EXPECT_TRUE(has_replication);
  EXPECT_TRUE(has_dbname);
}

TEST(Conninfo, LeavesDefaultsToLibpq) {
  ConnParams p;
  p.application_name.clear();
  p.connect_timeout = 0;
  EXPECT_TRUE(ToKeywords(p).empty());
  EXPECT_EQ(ToConninfo(p), "");
}

}  // namespace pgreplica::pg
