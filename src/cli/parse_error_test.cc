#include "cli/parse_error.h"

#include <gtest/gtest.h>

namespace pgreplica::cli {
namespace {

bool Json(std::vector<const char*> args) {
  args.insert(args.begin(), "pgreplica");
  return AsksForJson(static_cast<int>(args.size()), args.data());
}

TEST(ParseError, FindsJsonOutputWithoutTheParser) {
  EXPECT_TRUE(Json({"status", "--bogus", "-o", "json"}));
  EXPECT_TRUE(Json({"status", "--output", "json", "--bogus"}));
  EXPECT_TRUE(Json({"status", "--output=json"}));
  EXPECT_TRUE(Json({"status", "-ojson"}));
  EXPECT_FALSE(Json({"status", "--bogus"}));
  EXPECT_FALSE(Json({"status", "-o"}));
  EXPECT_FALSE(Json({"status", "-o", "text"}));
  EXPECT_FALSE(Json({"status", "--", "-o", "json"}));
}

TEST(ParseError, SaysCli11sPhrasesInPgreplicasWords) {
  EXPECT_EQ(DescribeParseError(CLI::ArgumentMismatch::AtMost("--port", 1, 2)),
            "--port was given more than once; give it once.");
  EXPECT_EQ(DescribeParseError(CLI::ArgumentMismatch::TypedAtLeast("--host", 1, "VALUE")),
            "--host needs a value.");
  EXPECT_EQ(DescribeParseError(CLI::ExcludesError("--primary-only", "--local-only")),
            "--primary-only and --local-only cannot be used together.");
  EXPECT_EQ(DescribeParseError(CLI::RequiredError("id")), "The argument id is missing.");
  EXPECT_EQ(DescribeParseError(CLI::ValidationError("--output", " \"\" is not a format")),
            "--output: \"\" is not a format.");
  EXPECT_EQ(DescribeParseError(CLI::ExtrasError({"--bogus"})),
            "The following argument was not expected: --bogus.");
}

}  // namespace
}  // namespace pgreplica::cli
