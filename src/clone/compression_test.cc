#include "clone/compression.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "conf/config.h"
#include "conf/validate.h"

namespace pgreplica::replica {

namespace {
constexpr ServerMethods kBoth{true, true, true};
constexpr ServerMethods kLz4Only{true, true, false};
constexpr ServerMethods kNeither{true, false, false};
constexpr ServerMethods kUnknown{};
}  // namespace

TEST(Compression, AutoIsTheDefault) {
  EXPECT_EQ(conf::Config{}.clone.compress, "auto");
  EXPECT_FALSE(conf::CheckOptionalCompress("auto"));
  EXPECT_TRUE(conf::CheckOptionalCompress("auto:3"));
  EXPECT_TRUE(conf::CheckOptionalCompress("server-auto"));
}

TEST(Compression, AutoUsesZstdOnTheServerForAnotherHostRunning15OrLater) {
  for (int version : {150000, 150014, 160004, 170000, 180001}) {
    auto c = ChooseCompression("auto", version, /*primary_is_local=*/false, kBoth);
    ASSERT_TRUE(c) << version;
    EXPECT_EQ(c->compress, "server-zstd") << version;
    EXPECT_EQ(c->note,
              "compressed with zstd on the primary (clone.compress auto: the primary is another "
              "host)");
    EXPECT_FALSE(conf::CheckOptionalCompress(c->compress));
  }
}

TEST(Compression, AutoFallsBackToLz4ThenToNoneByThePrimarysBuild) {
  auto lz4 = ChooseCompression("auto", 160000, false, kLz4Only);
  ASSERT_TRUE(lz4);
  EXPECT_EQ(lz4->compress, "server-lz4");
  EXPECT_NE(lz4->note.find("its build has no zstd"), std::string::npos) << lz4->note;
  auto none = ChooseCompression("auto", 160000, false, kNeither);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->compress, "");
  EXPECT_NE(none->note.find("neither zstd nor lz4"), std::string::npos) << none->note;
  // Unread (no admin login): a guess could fail after the slot is made, so none.
  auto unknown = ChooseCompression("auto", 160000, false, kUnknown);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->compress, "");
  EXPECT_NE(unknown->note.find("could not be read"), std::string::npos) << unknown->note;
}

TEST(Compression, AutoCopiesUncompressedFromThisHost) {
  auto c = ChooseCompression("auto", 150004, /*primary_is_local=*/true, kBoth);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compress, "");
  EXPECT_EQ(c->note, "uncompressed (clone.compress auto: the primary is on this host)");
}

TEST(Compression, AutoCopiesUncompressedFrom13And14AndSaysWhy) {
  for (int version : {130000, 130016, 140000, 140013}) {
    for (const auto& m : {kBoth, kUnknown}) {
      auto c = ChooseCompression("auto", version, /*primary_is_local=*/false, m);
      ASSERT_TRUE(c) << version;
      EXPECT_EQ(c->compress, "") << version;
      EXPECT_EQ(c->note, fmt::format("uncompressed (clone.compress auto: PostgreSQL {} cannot "
                                     "compress a base backup on the server; 15 and later can)",
                                     version / 10000));
    }
  }
}

TEST(Compression, AutoWithAnUnknownVersionCopiesUncompressed) {
  auto c = ChooseCompression("auto", 0, false, kBoth);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->compress, "");
}

TEST(Compression, NoneIsNoneEverywhere) {
  for (const char* v : {"", "none", "client-none", "server-none"}) {
    for (int version : {0, 130000, 140000, 150000}) {
      auto c = ChooseCompression(v, version, false, kNeither);
      ASSERT_TRUE(c) << v;
      EXPECT_EQ(c->compress, "") << v;
    }
  }
}

TEST(Compression, AnExplicitMethodIsPassedOnFrom15) {
  for (const char* v : {"server-lz4", "server-zstd:level=3,workers=2", "server-gzip:1"}) {
    for (bool local : {false, true}) {
      for (const auto& m : {kBoth, kUnknown}) {
        auto c = ChooseCompression(v, 150000, local, m);
        ASSERT_TRUE(c) << v;
        EXPECT_EQ(c->compress, v);
        EXPECT_EQ(c->note, fmt::format("compressed with {} (clone.compress)", v));
      }
    }
  }
}

TEST(Compression, AnExplicitMethodIsRefusedFor13And14) {
  for (int version : {130000, 140013}) {
    auto c = ChooseCompression("server-zstd", version, false, kUnknown);
    ASSERT_FALSE(c) << version;
    EXPECT_EQ(c.error().kind, ErrorKind::kEnvironment);
    EXPECT_EQ(c.error().message, "the primary cannot compress the copy with \"server-zstd\"");
    EXPECT_EQ(c.error().hint, "Set clone.compress to auto or none.");
  }
}

TEST(Compression, AnExplicitMethodTheBuildLacksIsRefused) {
  auto zstd = ChooseCompression("server-zstd:level=5", 150000, false, kLz4Only);
  ASSERT_FALSE(zstd);
  EXPECT_EQ(zstd.error().detail, "The primary's PostgreSQL was built without zstd.");
  auto lz4 = ChooseCompression("server-lz4", 150000, false, kNeither);
  ASSERT_FALSE(lz4);
  EXPECT_EQ(lz4.error().detail, "The primary's PostgreSQL was built without lz4.");
  EXPECT_TRUE(ChooseCompression("server-gzip", 150000, false, kNeither));
}

}  // namespace pgreplica::replica
