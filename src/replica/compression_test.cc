#include "replica/compression.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "conf/config.h"
#include "conf/validate.h"

namespace pgreplica::replica {

TEST(Compression, AutoIsTheDefault) {
  EXPECT_EQ(conf::Config{}.clone.compress, "auto");
  EXPECT_FALSE(conf::CheckOptionalCompress("auto"));
  EXPECT_TRUE(conf::CheckOptionalCompress("auto:3"));
  EXPECT_TRUE(conf::CheckOptionalCompress("server-auto"));
}

TEST(Compression, AutoUsesLz4OnTheServerForAnotherHostRunning15OrLater) {
  for (int version : {150000, 150014, 160004, 170000, 180001}) {
    auto c = ChooseCompression("auto", version, /*primary_is_local=*/false);
    ASSERT_TRUE(c) << version;
    EXPECT_EQ(c->compress, "server-lz4") << version;
    EXPECT_NE(c->note.find("lz4 on the primary"), std::string::npos) << c->note;
    EXPECT_FALSE(conf::CheckOptionalCompress(c->compress));
  }
}

TEST(Compression, AutoCopiesUncompressedFromThisHost) {
  auto c = ChooseCompression("auto", 150004, /*primary_is_local=*/true);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compress, "");
  EXPECT_NE(c->note.find("on this host"), std::string::npos) << c->note;
}

TEST(Compression, AutoCopiesUncompressedFrom13And14AndSaysWhy) {
  for (int version : {130000, 130016, 140000, 140013}) {
    auto c = ChooseCompression("auto", version, /*primary_is_local=*/false);
    ASSERT_TRUE(c) << version;
    EXPECT_EQ(c->compress, "") << version;
    EXPECT_NE(c->note.find(fmt::format("PostgreSQL {} cannot compress", version / 10000)),
              std::string::npos)
        << c->note;
  }
}

TEST(Compression, AutoWithAnUnknownVersionCopiesUncompressed) {
  auto c = ChooseCompression("auto", 0, false);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compress, "");
}

TEST(Compression, NoneIsNoneEverywhere) {
  for (const char* v : {"", "none", "client-none", "server-none"}) {
    for (int version : {0, 130000, 140000, 150000}) {
      auto c = ChooseCompression(v, version, false);
      ASSERT_TRUE(c) << v;
      EXPECT_EQ(c->compress, "") << v;
    }
  }
}

TEST(Compression, AnExplicitMethodIsPassedOnFrom15) {
  for (const char* v : {"server-lz4", "server-zstd:level=3,workers=2", "server-gzip:1"}) {
    for (bool local : {false, true}) {
      auto c = ChooseCompression(v, 150000, local);
      ASSERT_TRUE(c) << v;
      EXPECT_EQ(c->compress, v);
    }
  }
}

TEST(Compression, AnExplicitMethodIsRefusedFor13And14) {
  for (int version : {130000, 140013}) {
    auto c = ChooseCompression("server-zstd", version, false);
    ASSERT_FALSE(c) << version;
    EXPECT_EQ(c.error().kind, ErrorKind::kEnvironment);
    EXPECT_EQ(c.error().message, "the primary cannot compress the copy with \"server-zstd\"");
    EXPECT_EQ(c.error().hint, "Set clone.compress to auto or none.");
  }
}

}  // namespace pgreplica::replica
