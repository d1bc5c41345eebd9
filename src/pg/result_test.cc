// QueryResult on results built by hand: values outside the result and values
// that are not numbers are errors, not exceptions or null pointers.

#include <libpq-fe.h>

#include <cstring>

#include <gtest/gtest.h>

#include "pg/binaries.h"
#include "pg/connection.h"

namespace pgreplica::pg {
namespace {

QueryResult OneRow(std::vector<const char*> values) {
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<std::string> names;
  for (size_t i = 0; i < values.size(); ++i) names.push_back("col" + std::to_string(i));
  std::vector<PGresAttDesc> attrs(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    attrs[i] = {};
    attrs[i].name = names[i].data();
    attrs[i].typlen = -1;
  }
  EXPECT_TRUE(PQsetResultAttrs(r, static_cast<int>(values.size()), attrs.data()));
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_TRUE(PQsetvalue(r, 0, static_cast<int>(i), const_cast<char*>(values[i]),
                           values[i] ? static_cast<int>(strlen(values[i])) : -1));
  return QueryResult(r);
}

TEST(QueryResult, NumbersAreCheckedNotThrown) {
  QueryResult r = OneRow({"42", "x", nullptr, "9999999999", "-9223372036854775808"});
  EXPECT_EQ(r.GetInt(0, 0).value_or(-1), 42);
  for (int col : {1, 2, 3}) {
    auto v = r.GetInt(0, col);
    ASSERT_FALSE(v) << col;
    EXPECT_EQ(v.error().kind, ErrorKind::kQuery);
    EXPECT_NE(v.error().detail.find("col" + std::to_string(col)), std::string::npos)
        << v.error().detail;
  }
  EXPECT_EQ(r.GetInt64(0, 3).value_or(-1), 9999999999);
  EXPECT_EQ(r.GetInt64(0, 4).value_or(-1), INT64_MIN);
  EXPECT_FALSE(r.GetInt(1, 0)) << "a row outside the result";
  EXPECT_FALSE(r.GetInt(0, 9)) << "a column outside the result";
  EXPECT_EQ(r.Get(3, 7), "") << "text outside the result is empty, not a null pointer";
}

TEST(Binaries, VersionOutputWithTooManyDigitsIsNoVersion) {
  EXPECT_EQ(ParseMajorVersion("pg_ctl (PostgreSQL) 15.4 (Debian 15.4-1)"), 15);
  EXPECT_EQ(ParseMajorVersion("pg_ctl (PostgreSQL) 99999999999999999999.1"), 0);
  EXPECT_EQ(ParseMajorVersion("pg_ctl (PostgreSQL) beta"), 0);
}

// A missing database was classed as an authentication error: the SQLSTATE tells it apart.
TEST(ConnectMessage, TakesTheSqlstateOutOfAVerboseMessage) {
  auto db = SplitVerboseMessage(
      "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  3D000: database "
      "\"nosuchdb\" does not exist\nLOCATION:  InitPostgres, postinit.c:885\n");
  EXPECT_EQ(db.sqlstate, "3D000");
  EXPECT_EQ(db.text,
            "connection to server at \"127.0.0.1\", port 5432 failed: FATAL: database "
            "\"nosuchdb\" does not exist");
  auto pw = SplitVerboseMessage(
      "connection to server at \"h\" (10.0.0.5), port 5432 failed: FATAL:  28P01: password "
      "authentication failed for user \"rep\"\nLOCATION:  auth_failed, auth.c:326\n");
  EXPECT_EQ(pw.sqlstate, "28P01");
  EXPECT_EQ(pw.text.find("LOCATION"), std::string::npos);
  // libpq's own messages have no code; a colon in the text is not one.
  auto refused = SplitVerboseMessage(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
      "server running on that host and accepting TCP/IP connections?\n");
  EXPECT_EQ(refused.sqlstate, "");
  EXPECT_EQ(refused.text,
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the "
            "server running on that host and accepting TCP/IP connections?");
}

}  // namespace
}  // namespace pgreplica::pg
