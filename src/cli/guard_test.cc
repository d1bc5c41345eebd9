#include "cli/guard.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace pgreplica::cli {
namespace {

TEST(Guard, AnEscapedExceptionIsAnInternalError) {
  ::testing::internal::CaptureStderr();
  int code = RunGuarded(ExitStyle::kPgreplica, []() -> int {
    throw std::runtime_error("[json.exception.type_error.316] invalid UTF-8 byte\nat index 3");
  });
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 70);
  EXPECT_EQ(err.rfind("pgreplica: error: internal error: [json.exception.type_error.316] invalid "
                      "UTF-8 byte at index 3\n",
                      0),
            0u)
      << err;
  EXPECT_NE(err.find("pgreplica: hint: This is a bug in pgreplica"), std::string::npos) << err;
}

TEST(Guard, CheckStaysANagiosPlugin) {
  ::testing::internal::CaptureStdout();
  int code = RunGuarded(ExitStyle::kNagios, []() -> int { throw 42; });
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 3);
  EXPECT_EQ(out, "PGREPLICA UNKNOWN - internal error: an exception of unknown type\n");
}

TEST(Guard, PassesTheExitCodeThrough) {
  EXPECT_EQ(RunGuarded(ExitStyle::kPgreplica, [] { return 11; }), 11);
}

TEST(Guard, StyleFollowsTheCommand) {
  const char* check[] = {"pgreplica", "check", "--frobnicate"};
  const char* status[] = {"pgreplica", "status"};
  const char* none[] = {"pgreplica"};
  EXPECT_EQ(StyleFor(3, check), ExitStyle::kNagios);
  EXPECT_EQ(StyleFor(2, status), ExitStyle::kPgreplica);
  EXPECT_EQ(StyleFor(1, none), ExitStyle::kPgreplica);
}

}  // namespace
}  // namespace pgreplica::cli
