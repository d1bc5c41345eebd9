#include "replica/basebackup.h"

#include <gtest/gtest.h>

namespace pgreplica::replica {

TEST(Basebackup, ArgvHasTheSafeFlagsAndNoPassword) {
  BasebackupSpec spec;
  spec.bindir = "/usr/lib/postgresql/15/bin";
  spec.staging = "/data/main.pgreplica-staging";
  spec.primary.host = "db-1.example.com";
  spec.primary.port = 5432;
  spec.primary.user = "rep";
  spec.primary.password = "hunter2";
  spec.slot = "node_replica_01_slot";
  spec.max_rate = "100M";
  auto argv = BasebackupArgv(spec);
  std::string all;
  for (const auto& a : argv) all += a + "\n";
  for (const char* flag :
       {"--checkpoint=fast\n", "--wal-method=stream\n", "--write-recovery-conf\n",
        "--slot=node_replica_01_slot\n", "--no-password\n", "--max-rate=100M\n",
        "--pgdata=/data/main.pgreplica-staging\n"})
    EXPECT_NE(all.find(flag), std::string::npos) << flag;
  EXPECT_EQ(all.find("hunter2"), std::string::npos);
  EXPECT_EQ(all.find("--create-slot"), std::string::npos);
  EXPECT_EQ(argv[0], "/usr/lib/postgresql/15/bin/pg_basebackup");
}

// A silent link must end the copy: keepalives and tcp_user_timeout from network_timeout go into
// the conninfo (and with it into the copy's primary_conninfo); without one, libpq's defaults.
TEST(Basebackup, ConninfoCarriesTheNetworkTimeout) {
  BasebackupSpec spec;
  spec.bindir = "/usr/lib/postgresql/15/bin";
  spec.primary.host = "db-1.example.com";
  spec.primary.network_timeout = 60;
  std::string dbname;
  for (const auto& a : BasebackupArgv(spec))
    if (a.rfind("--dbname=", 0) == 0) dbname = a.substr(9);
  auto kw = pg::ParseConninfo(dbname);
  EXPECT_EQ(kw["keepalives"], "1") << dbname;
  EXPECT_EQ(kw["keepalives_idle"], "20") << dbname;
  EXPECT_EQ(kw["keepalives_interval"], "10") << dbname;
  EXPECT_EQ(kw["tcp_user_timeout"], "60000") << dbname;
  spec.primary.network_timeout = 2;
  for (const auto& a : BasebackupArgv(spec))
    if (a.rfind("--dbname=", 0) == 0) dbname = a.substr(9);
  kw = pg::ParseConninfo(dbname);
  EXPECT_EQ(kw["keepalives_idle"], "1") << dbname;
  EXPECT_EQ(kw["keepalives_interval"], "1") << dbname;
  EXPECT_EQ(kw["tcp_user_timeout"], "2000") << dbname;
  spec.primary.network_timeout = 0;
  for (const auto& a : BasebackupArgv(spec))
    if (a.rfind("--dbname=", 0) == 0) dbname = a.substr(9);
  EXPECT_EQ(dbname.find("keepalives"), std::string::npos) << dbname;
  EXPECT_EQ(dbname.find("tcp_user_timeout"), std::string::npos) << dbname;
}

TEST(Basebackup, ParsesProgressLines) {
  auto p = ParseProgressKb("  12345/67890 kB (18%), 0/1 tablespace (/data/x/base/1/1234)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, 12345u);
  EXPECT_EQ(p->second, 67890u);
  EXPECT_TRUE(ParseProgressKb("30893/30893 kB (100%), 1/1 tablespace"));
  EXPECT_FALSE(ParseProgressKb("pg_basebackup: initiating base backup"));
  EXPECT_FALSE(ParseProgressKb("x/y kB (1%)"));
}

TEST(Basebackup, RejectsMalformedAndOverflowingProgress) {
  for (const char* bad : {"/5 kB (1%)", "5/ kB (1%)", " kB (", "abc/5 kB (1%)", "-1/5 kB (1%)",
                          "1/-5 kB (1%)", "1/2/3 kB (1%)", "99999999999999999999/1 kB (1%)",
                          "1/99999999999999999999 kB (1%)", "1 / 2 kB (1%)"})
    EXPECT_FALSE(ParseProgressKb(bad)) << bad;
  // Fits in kB, overflows in bytes: not a progress line, and no wrapped-around figures.
  auto kb = ParseProgressKb("18446744073709551615/18446744073709551615 kB (100%)");
  ASSERT_TRUE(kb);
  EXPECT_FALSE(ProgressFromKb(kb->first, kb->second, 1.0));
  auto p = ProgressFromKb(1024, 4096, 2.0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->done_bytes, 1048576u);
  EXPECT_EQ(p->rate_bytes_per_second, 524288.0);
  EXPECT_EQ(p->eta_seconds, 6.0);
  EXPECT_FALSE(ProgressFromKb(10, 5, 1.0)->eta_seconds) << "done beyond the estimate";
}

}  // namespace pgreplica::replica
