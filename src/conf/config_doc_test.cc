#include "conf/config_doc.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pgreplica::conf {
namespace {

std::string ReadDoc() {
  std::ifstream in(std::string(PGREPLICA_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first line where `a` and `b` differ, for a failure message that fits on a screen.
std::string FirstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string lx, ly;
  for (int line = 1;; ++line) {
    bool more_x = static_cast<bool>(std::getline(x, lx));
    bool more_y = static_cast<bool>(std::getline(y, ly));
    if (!more_x && !more_y) return "";
    if (lx != ly || more_x != more_y)
      return "line " + std::to_string(line) + ":\n  in the file:   " + lx +
             "\n  from schema:   " + ly;
  }
}

TEST(ConfigDoc, TheTablesOfKeysAreTheSchemas) {
  std::string text = ReadDoc();
  ASSERT_FALSE(text.empty());
  auto want = WithKeyTables(text);
  ASSERT_TRUE(want) << want.error().message << ": " << want.error().detail;
  EXPECT_TRUE(*want == text)
      << "docs/configuration.md's tables of keys differ from the schema (src/conf/schema.cc). "
         "Regenerate them with: build/pgreplica-gendoc --configuration-table "
         "docs/configuration.md\nFirst difference at "
      << FirstDifference(text, *want);
}

TEST(ConfigDoc, ATableIsTheSectionsKeysInFileOrder) {
  std::string t = KeyTable("general");
  EXPECT_EQ(
      t.rfind("| key | type | default | meaning |\n|---|---|---|---|\n| `state_directory` |", 0),
      0u)
      << t;
  EXPECT_LT(t.find("`connect_timeout`"), t.find("`network_timeout`"));
  EXPECT_EQ(t.find("`primary.host`"), std::string::npos);
  EXPECT_NE(KeyTable("local").find("`local.service.unit`"), std::string::npos);
}

TEST(ConfigDoc, BrokenBlocksAreErrors) {
  std::string all;
  for (const char* s : {"primary", "replication", "local", "clone", "check", "general"})
    all += std::string("<!-- BEGIN generated: keys ") + s +
           " -->\nSTALE ROW\n<!-- END generated -->\n";
  auto ok = WithKeyTables("# Keys\n" + all + "prose\n");
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->find("STALE ROW"), std::string::npos);
  EXPECT_EQ(ok->rfind("# Keys\n<!-- BEGIN generated: keys primary -->\n| key |", 0), 0u);
  EXPECT_TRUE(ok->ends_with("<!-- END generated -->\nprose\n"));

  auto missing = WithKeyTables("<!-- BEGIN generated: keys primary -->\n<!-- END generated -->\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("have no block"), std::string::npos);
  auto unknown = WithKeyTables(all +
                               "<!-- BEGIN generated: keys secondary -->\n"
                               "<!-- END generated -->\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().detail.find("\"secondary\""), std::string::npos);
  auto twice = WithKeyTables(all +
                             "<!-- BEGIN generated: keys clone -->\n"
                             "<!-- END generated -->\n");
  ASSERT_FALSE(twice);
  auto open = WithKeyTables("<!-- BEGIN generated: keys primary -->\n| key |\n");
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().detail.find("no end"), std::string::npos);
}

}  // namespace
}  // namespace pgreplica::conf
