// Integration tests: real PostgreSQL clusters (tests/support/cluster.h).

#include <gtest/gtest.h>

#include "support/cluster.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  pgreplica::testing::SweepStrays();
  pgreplica::testing::InstallInterruptCleanup();
  return RUN_ALL_TESTS();
}
