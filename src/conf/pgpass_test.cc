#include "conf/pgpass.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica::conf {

TEST(Pgpass, EscapesColonAndBackslash) {
  EXPECT_EQ(EscapePgpassField("a:b\\c"), "a\\:b\\\\c");
  EXPECT_EQ(EscapePgpassField("plain 'quoted' \"x\" #"), "plain 'quoted' \"x\" #");
}

TEST(Pgpass, RoundTripsHostilePasswords) {
  for (std::string pw : {"p:a\\ss", "a'b\"c d#e", "пароль:ü", "\\\\::", "end\\"}) {
    PgpassEntry e{"db-1.example.com", "5432", "replication", "rep:user", pw};
    auto parsed = ParsePgpassLine(FormatPgpassLine(e));
    ASSERT_TRUE(parsed) << pw;
    EXPECT_EQ(parsed->password, pw);
    EXPECT_EQ(parsed->user, "rep:user");
    EXPECT_EQ(parsed->host, "db-1.example.com");
  }
}

// Found by fuzz_pgpass: a host starting with '#' made the entry a comment (and a merge
// appended it again on every run); a field "*" is libpq's wildcard.
TEST(Pgpass, WritesACommentMarkAndAWildcardLiterally) {
  PgpassEntry e{"#_", "5432", "replication", "*", "*"};
  EXPECT_EQ(FormatPgpassLine(e), "\\#_:5432:replication:\\*:*");
  auto parsed = ParsePgpassLine(FormatPgpassLine(e));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "#_");
  EXPECT_EQ(parsed->user, "*");
  bool changed = true;
  std::string merged = MergePgpass("", e, &changed);
  EXPECT_EQ(MergePgpass(merged, e, &changed), merged);
  EXPECT_FALSE(changed);
}

TEST(Pgpass, ParseSkipsCommentsAndShortLines) {
  EXPECT_FALSE(ParsePgpassLine("# comment"));
  EXPECT_FALSE(ParsePgpassLine(""));
  EXPECT_FALSE(ParsePgpassLine("a:b:c:d"));
  // The password field takes the rest, colons included, as libpq does.
  auto e = ParsePgpassLine("h:1:db:u:pw:with:colons");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->password, "pw:with:colons");
}

TEST(Pgpass, MergeReplacesOnlyTheMatchingLine) {
  std::string existing =
      "# my file\n"
      "other:5432:*:bob:x\n"
      "db1:5432:replication:rep:old\n"
      "db1:5433:replication:rep:keep\n"
      "db1:5432:replication:rep:duplicate\n";
  bool changed = false;
  std::string merged =
      MergePgpass(existing, {"db1", "5432", "replication", "rep", "new"}, &changed);
  EXPECT_TRUE(changed);
  EXPECT_EQ(merged,
            "# my file\n"
            "other:5432:*:bob:x\n"
            "db1:5432:replication:rep:new\n"
            "db1:5433:replication:rep:keep\n");
  std::string again = MergePgpass(merged, {"db1", "5432", "replication", "rep", "new"}, &changed);
  EXPECT_FALSE(changed);
  EXPECT_EQ(again, merged);
}

TEST(Pgpass, MergeAppendsToFileWithoutFinalNewline) {
  bool changed = false;
  std::string merged = MergePgpass("a:1:b:c:d", {"h", "1", "replication", "u", "p"}, &changed);
  EXPECT_EQ(merged, "a:1:b:c:d\nh:1:replication:u:p\n");
}

TEST(Pgpass, WritesAtomicallyWithMode0600) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string path = dir->path() + "/pgpass";
  ASSERT_TRUE(WriteFileAtomic(path, "keep:1:2:3:4\n", 0644));
  Owner me{geteuid(), getegid()};
  auto changed = WritePgpassEntry(path, {"h", "5432", "replication", "u", "p:w"}, me);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_TRUE(*changed);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(*ReadFile(path), "keep:1:2:3:4\nh:5432:replication:u:p\\:w\n");
  auto again = WritePgpassEntry(path, {"h", "5432", "replication", "u", "p:w"}, me);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST(Pgpass, DryRunTellsWhetherItWouldChangeAndWritesNothing) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string path = dir->path() + "/pgpass";
  Owner me{geteuid(), getegid()};
  PgpassEntry entry{"h", "5432", "replication", "u", "pw"};
  auto missing = WritePgpassEntry(path, entry, me, /*dry_run=*/true);
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_TRUE(*missing);
  EXPECT_FALSE(ReadFile(path)) << "no file was created";
  ASSERT_TRUE(WritePgpassEntry(path, entry, me));
  auto same = WritePgpassEntry(path, entry, me, true);
  ASSERT_TRUE(same);
  EXPECT_FALSE(*same);
  entry.password = "new";
  auto other = WritePgpassEntry(path, entry, me, true);
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  EXPECT_EQ(*ReadFile(path), "h:5432:replication:u:pw\n");
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  entry.password = "pw";
  auto mode = WritePgpassEntry(path, entry, me, true);
  ASSERT_TRUE(mode);
  EXPECT_TRUE(*mode) << "a wrong mode is a change too";
}

TEST(Pgpass, RefusesADirectory) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  auto r = WritePgpassEntry(dir->path(), {"h", "1", "replication", "u", "SECRETPW"},
                            {geteuid(), getegid()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kFileAccess);
  EXPECT_EQ(r.error().message.find("SECRETPW"), std::string::npos);
  EXPECT_EQ(r.error().detail.find("SECRETPW"), std::string::npos);
}
TEST(PgpassLookup, TakesTheFirstMatchingLineAsLibpqDoes) {
  std::string text =
      "# comment\n"
      "other:5432:*:replicator:wrong\n"
      "db1:5432:replication:replicator:p\\:w\\\\d\r\n"
      "*:*:*:replicator:fallback\n";
  EXPECT_EQ(FindPgpassPassword(text, "db1", "5432", "replication", "replicator"), "p:w\\d");
  EXPECT_EQ(FindPgpassPassword(text, "db2", "5433", "replication", "replicator"), "fallback");
  EXPECT_EQ(FindPgpassPassword(text, "db1", "5432", "replication", "someone"), std::nullopt);
  EXPECT_EQ(FindPgpassPassword("", "h", "1", "d", "u"), std::nullopt);
}

TEST(PgpassLookup, ReadsOnlyThePrivateFileOfTheOsUser) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string path = dir->path() + "/pgpass";
  ASSERT_TRUE(WriteFileAtomic(path, "h:1:replication:u:secret\n", 0600));
  EXPECT_EQ(ReadPgpassPassword(path, geteuid(), "h", "1", "replication", "u").value_or("?"),
            "secret");
  EXPECT_EQ(ReadPgpassPassword(path, geteuid(), "x", "1", "replication", "u").value_or("?"), "");
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(ReadPgpassPassword(path, geteuid(), "h", "1", "replication", "u"))
      << "others can read it";
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_FALSE(ReadPgpassPassword(path, geteuid() + 1, "h", "1", "replication", "u"))
      << "another user's";
  std::string link = dir->path() + "/link";
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  auto l = ReadPgpassPassword(link, geteuid(), "h", "1", "replication", "u");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().kind, ErrorKind::kInsecureFile);
}

TEST(Pgpass, RefusesFieldsWithLineBreaks) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string path = dir->path() + "/pgpass";
  ASSERT_TRUE(WriteFileAtomic(path, "keep:1:2:3:4\n", 0600));
  Owner me{geteuid(), getegid()};
  for (PgpassEntry e : {PgpassEntry{"h", "1", "replication", "u", "SECRET\ndef"},
                        PgpassEntry{"h", "1", "replication", "u", "SECRET\r"},
                        PgpassEntry{"h", "1", "replication", "u", std::string("SEC\0RET", 7)},
                        PgpassEntry{"h\n*", "1", "replication", "u", "SECRET"}}) {
    auto r = WritePgpassEntry(path, e, me);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid);
    EXPECT_EQ(r.error().message.find("SEC"), std::string::npos);
    EXPECT_EQ(r.error().detail.find("SEC"), std::string::npos);
  }
  EXPECT_EQ(*ReadFile(path), "keep:1:2:3:4\n") << "the file was not touched";
}

}  // namespace pgreplica::conf
