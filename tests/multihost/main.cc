// Multi-host integration tests: real PostgreSQL clusters in separate network hosts
// (tests/support/hosts.h, tests/support/cluster.h).

#include <gtest/gtest.h>

#include "support/cluster.h"
#include "support/hosts.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  pgreplica::testing::SweepStrays();
  pgreplica::testing::Hosts::SweepStrays();
  pgreplica::testing::InstallInterruptCleanup();
  return RUN_ALL_TESTS();
}
