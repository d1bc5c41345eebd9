#include "replica/hba.h"

#include <gtest/gtest.h>

namespace pgreplica::replica {

TEST(Hba, FormatsAndQuotes) {
  EXPECT_EQ(FormatHbaLine({"replicator", "10.0.0.5/32"}),
            "host replication replicator 10.0.0.5/32 scram-sha-256");
  EXPECT_EQ(FormatHbaLine({"Rep-User", "samenet"}),
            "host replication \"Rep-User\" samenet scram-sha-256");
  EXPECT_EQ(FormatHbaLine({"all", "samenet"}), "host replication \"all\" samenet scram-sha-256");
}

TEST(Hba, FindsExistingRules) {
  std::string conf =
      "# comment host replication rep 10.0.0.5/32 md5\n"
      "local all all peer\n"
      "hostssl all,replication rep,other 10.0.0.5/32 scram-sha-256\n";
  EXPECT_TRUE(HbaHasRule(conf, {"rep", "10.0.0.5/32"}));
  EXPECT_FALSE(HbaHasRule(conf, {"rep", "10.0.0.6/32"}));
  EXPECT_FALSE(HbaHasRule(conf, {"nobody", "10.0.0.5/32"}));
  EXPECT_TRUE(HbaHasRule("host replication all 1.2.3.4/32 md5\n", {"x", "1.2.3.4/32"}));
  EXPECT_TRUE(HbaHasRule("host replication \"Rep\" 1.2.3.4/32 md5\n", {"Rep", "1.2.3.4/32"}));
}

TEST(Hba, InsertsBeforeTheFirstRule) {
  std::string conf = "# header\n\nlocal all all peer\nhost all all 0.0.0.0/0 reject\n";
  std::string out = InsertHbaRule(conf, {"rep", "127.0.0.1/32"});
  EXPECT_EQ(out,
            "# header\n\n"
            "# Added by pgreplica primary setup: streaming replication for rep.\n"
            "host replication rep 127.0.0.1/32 scram-sha-256\n"
            "local all all peer\nhost all all 0.0.0.0/0 reject\n");
  EXPECT_TRUE(HbaHasRule(out, {"rep", "127.0.0.1/32"}));
  EXPECT_EQ(InsertHbaRule("", {"r", "samehost"}),
            "# Added by pgreplica primary setup: streaming replication for r.\n"
            "host replication r samehost scram-sha-256\n");
}

}  // namespace pgreplica::replica
