#include "common/text.h"

#include <gtest/gtest.h>

namespace pgreplica {

TEST(Text, ValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("пароль ü 日本 \xF0\x9F\x98\x80"));
  for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80"})
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
}

TEST(Text, PrintableEscapesControlsAndBadBytes) {
  EXPECT_EQ(Printable("node_a_slot ü"), "node_a_slot ü");
  EXPECT_EQ(Printable("a\x1b[31mred"), "a\\x1b[31mred");
  EXPECT_EQ(Printable("two\nlines\r\t"), "two\\x0alines\\x0d\\x09");
  EXPECT_EQ(Printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(Printable("csi\xc2\x9b"
                      "31m"),
            "csi\\xc2\\x9b31m");
  EXPECT_EQ(Printable("latin1 caf\xe9"), "latin1 caf\\xe9");
  EXPECT_EQ(Printable(std::string_view("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(Printable("a\n\tb\x1b\r", true), "a\n\tb\\x1b\\x0d");
}

TEST(Text, ReplaceInvalidUtf8) {
  EXPECT_EQ(ReplaceInvalidUtf8("caf\xe9 ü"), "caf\xef\xbf\xbd ü");
  EXPECT_EQ(ReplaceInvalidUtf8("ok\n"), "ok\n");
}

TEST(Text, OneLineJoinsLines) {
  EXPECT_EQ(OneLine("could not connect: Connection refused\n\tIs the server running?\n"),
            "could not connect: Connection refused Is the server running?");
  EXPECT_EQ(OneLine("  a \r\n\r\n b  "), "a b");
  EXPECT_EQ(OneLine("esc\x1b"), "esc\\x1b");
  EXPECT_EQ(OneLine(""), "");
}

// clone --dry-run printed --dbname=host='h' port='5432' ... unquoted: bash made 13 words of it.
TEST(Text, ShellWordQuotesWhatAShellWouldSplit) {
  EXPECT_EQ(ShellWord("--checkpoint=fast"), "--checkpoint=fast");
  EXPECT_EQ(ShellWord("/var/lib/postgresql/15/main"), "/var/lib/postgresql/15/main");
  EXPECT_EQ(ShellWord("--dbname=host='h' port='1'"), R"('--dbname=host='\''h'\'' port='\''1'\''')");
  EXPECT_EQ(ShellWord(""), "''");
  EXPECT_EQ(ShellWord("a b"), "'a b'");
  EXPECT_EQ(ShellWord("$(id)"), "'$(id)'");
}

}  // namespace pgreplica
