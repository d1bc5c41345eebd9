#include "cli/progress.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace pgreplica::cli {
namespace {

TEST(Progress, Formats) {
  replica::CopyProgress p{.done_bytes = 1536ull << 20,
                          .total_bytes = 3ull << 30,
                          .rate_bytes_per_second = 100.0 * (1 << 20),
                          .eta_seconds = 75.5};
  EXPECT_EQ(ProgressDisplay::Format(p), "1.5 GB / 3.0 GB   50%  100.0 MB/s  ETA 1:15");
}

// Counts beyond the estimate, a rate over a near-zero time and an ETA over a near-zero rate
// were cast to int and long without a range check (undefined behaviour).
TEST(Progress, ExtremeFiguresStayDefined) {
  replica::CopyProgress p{.done_bytes = std::numeric_limits<std::uint64_t>::max(),
                          .total_bytes = 1024,
                          .rate_bytes_per_second = std::numeric_limits<double>::infinity(),
                          .eta_seconds = 1e300};
  EXPECT_EQ(ProgressDisplay::Format(p), "? / 1.0 kB  100%  ?/s  ETA --:--");
  p.eta_seconds = std::nan("");
  p.rate_bytes_per_second = 1e30;
  EXPECT_EQ(ProgressDisplay::Format(p), "? / 1.0 kB  100%  ?/s  ETA --:--");
  p.total_bytes = 0;
  p.done_bytes = 10;
  p.eta_seconds.reset();
  EXPECT_EQ(ProgressDisplay::Format(p), "10 B / 0 B    0%  ?/s  ETA --:--");
}

}  // namespace
}  // namespace pgreplica::cli
