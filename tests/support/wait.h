#pragma once
// Waiting in tests: poll the condition a test needs at a short interval, up to a generous
// deadline, instead of sleeping for a fixed time that is too long on an idle machine and too
// short on a loaded one. A fixed sleep stays only where the time itself is the point (nothing
// may happen within it, or something must keep running through it), and says so.
//
// Header-only, so that the unit tests (src/*/*_test.cc) can use it as well.

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace pgreplica::testing {

// Calls `condition` until it returns true (success) or `timeout` has passed (a failure that
// names `what` and the timeout), sleeping `interval` between calls. Use it under an assertion:
//   ASSERT_TRUE(WaitUntil([&] { return Listens(port); }, std::chrono::seconds(30),
//                         "the fake server to listen"));
inline ::testing::AssertionResult WaitUntil(
    const std::function<bool()>& condition, std::chrono::milliseconds timeout,
    const std::string& what, std::chrono::milliseconds interval = std::chrono::milliseconds(100)) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  while (true) {
    if (condition()) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(interval);
  }
  return ::testing::AssertionFailure() << fmt::format(
             "gave up after {:.1f} s waiting for {}",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
             what);
}

}  // namespace pgreplica::testing
