#include "monitor/resolve.h"

#include <atomic>
#include <future>
#include <memory>

#include <gtest/gtest.h>

namespace pgreplica::monitor {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ResolveTest, OnlyNamesNeedResolving) {
  EXPECT_TRUE(NeedsResolving("db1.example.com"));
  EXPECT_TRUE(NeedsResolving("replica-01"));
  EXPECT_FALSE(NeedsResolving(""));
  EXPECT_FALSE(NeedsResolving("127.0.0.1"));
  EXPECT_FALSE(NeedsResolving("::1"));
  EXPECT_FALSE(NeedsResolving("fe80::1"));
  EXPECT_FALSE(NeedsResolving("/var/run/postgresql"));
  EXPECT_FALSE(NeedsResolving("db1,db2")) << "a libpq host list is left to libpq";
}

TEST(ResolveTest, LocalhostResolvesToLoopbackAddresses) {
  Resolution r = ResolveWithGetaddrinfo("localhost");
  ASSERT_EQ(r.error, "");
  ASSERT_FALSE(r.addresses.empty());
  for (const auto& a : r.addresses) EXPECT_TRUE(a == "127.0.0.1" || a == "::1") << a;
}

TEST(ResolveTest, AnUnknownNameIsAnErrorNamingIt) {
  Resolution r = ResolveWithGetaddrinfo("no-such-host.invalid");
  EXPECT_TRUE(r.addresses.empty());
  EXPECT_NE(r.error.find("\"no-such-host.invalid\""), std::string::npos) << r.error;
}

TEST(ResolveTest, AHangingLookupCostsOnlyItsOwnDeadline) {
  // The resolver for "hangs" blocks until the test ends; "quick" answers at once.
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  auto calls = std::make_shared<std::atomic<int>>(0);
  Resolver fake = [released, calls](const std::string& host) {
    ++*calls;
    if (host == "hangs") released.wait();
    return Resolution{.addresses = {"192.0.2.1"}, .error = ""};
  };
  auto soon = Clock::now() + std::chrono::milliseconds(300);
  auto out = ResolveAll({{"quick", soon}, {"hangs", soon}, {"quick", soon}}, fake);
  release->set_value();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out["quick"].error, "");
  EXPECT_EQ(out["quick"].addresses, std::vector<std::string>{"192.0.2.1"});
  // Had ResolveAll waited for the lookup, "hangs" would have its address.
  EXPECT_TRUE(out["hangs"].addresses.empty());
  EXPECT_NE(out["hangs"].error.find("before the timeout"), std::string::npos) << out["hangs"].error;
  EXPECT_LE(calls->load(), 2) << "a host listed twice is looked up once";
}

TEST(ResolveTest, NothingToResolveReturnsAtOnce) { EXPECT_TRUE(ResolveAll({}).empty()); }

}  // namespace
}  // namespace pgreplica::monitor
