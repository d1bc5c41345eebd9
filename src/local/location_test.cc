#include "local/location.h"

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "local/layout.h"

namespace pgreplica::replica {
namespace {

namespace fs = std::filesystem;

class LocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("/tmp", "pgreplica-location-");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path();
  }
  std::optional<TempDir> tmp_;
  std::string root_;
};

TEST_F(LocationTest, EverySpellingGivesTheSameSiblings) {
  fs::create_directories(root_ + "/a/data");
  const std::vector<std::string> spellings = {root_ + "/a/data", root_ + "/a/data/",
                                              root_ + "/a/./data", root_ + "//a/../a/data/"};
  for (const auto& spelling : spellings) {
    auto l = ResolveLocation(spelling);
    ASSERT_TRUE(l) << spelling << ": " << l.error().message;
    EXPECT_EQ(l->real, root_ + "/a/data") << spelling;
    EXPECT_EQ(l->SiblingPath(kStagingSuffix), root_ + "/a/data.pgreplica-staging") << spelling;
    EXPECT_EQ(l->Sibling(kLockSuffix), "data.pgreplica.lock");
    EXPECT_TRUE(l->exists());
    EXPECT_FALSE(l->mount_point);
  }
}

TEST_F(LocationTest, AMissingDirectoryNeedsItsParent) {
  auto l = ResolveLocation(root_ + "/new");
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->exists());
  auto orphan = ResolveLocation(root_ + "/no/parent");
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().hint.find("Create"), std::string::npos);
  EXPECT_FALSE(ResolveLocation("/"));
  EXPECT_FALSE(ResolveLocation("relative/path"));
}

TEST_F(LocationTest, ALinkIsFollowedOnceAndEverythingGoesBesideItsTarget) {
  fs::create_directories(root_ + "/volume/pgdata");
  fs::create_directories(root_ + "/etc");
  fs::create_directory_symlink(root_ + "/volume/pgdata", root_ + "/etc/main");
  auto l = ResolveLocation(root_ + "/etc/main");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_TRUE(l->is_link());
  EXPECT_EQ(l->configured, root_ + "/etc/main");
  EXPECT_EQ(l->real, root_ + "/volume/pgdata");
  EXPECT_EQ(l->SiblingPath(kStagingSuffix), root_ + "/volume/pgdata.pgreplica-staging");
  // A relative link is resolved against the link's directory.
  fs::create_directory_symlink("../volume/pgdata", root_ + "/etc/relative");
  auto rel = ResolveLocation(root_ + "/etc/relative");
  ASSERT_TRUE(rel) << rel.error().message;
  EXPECT_EQ(rel->real, root_ + "/volume/pgdata");
}

TEST_F(LocationTest, DanglingLinksLinksToFilesAndFilesAreRefused) {
  fs::create_symlink(root_ + "/nowhere", root_ + "/dangling");
  auto d = ResolveLocation(root_ + "/dangling");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("does not exist"), std::string::npos) << d.error().message;
  std::ofstream(root_ + "/file") << "x";
  fs::create_symlink(root_ + "/file", root_ + "/to-file");
  auto f = ResolveLocation(root_ + "/to-file");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("is not a directory"), std::string::npos) << f.error().message;
  auto plain = ResolveLocation(root_ + "/file");
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("exists but is not a directory"), std::string::npos);
  fs::create_directories(root_ + "/real");
  fs::create_directory_symlink(root_ + "/real", root_ + "/hop1");
  fs::create_directory_symlink(root_ + "/hop1", root_ + "/hop2");
  auto two = ResolveLocation(root_ + "/hop2");
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("another symbolic link"), std::string::npos);
}

TEST_F(LocationTest, AMountPointIsRecognised) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  fs::create_directories(root_ + "/mnt");
  fs::create_directories(root_ + "/bind-src");
  fs::create_directories(root_ + "/bind");
  ASSERT_EQ(mount("tmpfs", (root_ + "/mnt").c_str(), "tmpfs", 0, "size=1m"), 0);
  ASSERT_EQ(
      mount((root_ + "/bind-src").c_str(), (root_ + "/bind").c_str(), nullptr, MS_BIND, nullptr),
      0);
  auto m = ResolveLocation(root_ + "/mnt");
  auto b = ResolveLocation(root_ + "/bind");
  umount2((root_ + "/mnt").c_str(), MNT_DETACH);
  umount2((root_ + "/bind").c_str(), MNT_DETACH);
  ASSERT_TRUE(m);
  ASSERT_TRUE(b);
  EXPECT_TRUE(m->mount_point) << "another device";
  EXPECT_TRUE(b->mount_point) << "a bind mount on the same device";
}

TEST(TablespaceMapping, ParsesAndRefusesWhatPgBasebackupWouldNot) {
  auto ok = ParseTablespaceMapping({"/srv/ts1=/srv/standby/ts1", "/srv/ts2/=/x/ts2"});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->at("/srv/ts1"), "/srv/standby/ts1");
  EXPECT_EQ(ok->at("/srv/ts2"), "/x/ts2");
  for (const char* bad : {"/srv/ts1", "relative=/x", "/x=relative", "/a=/b=/c", "=/x", "/=/x"}) {
    EXPECT_FALSE(ParseTablespaceMapping({std::string(bad)})) << bad;
  }
  EXPECT_FALSE(ParseTablespaceMapping({"/a=/x", "/a=/y"})) << "mapped twice";
  EXPECT_FALSE(ParseTablespaceMapping({"/a=/x", "/b=/x"})) << "one target for two";
}

}  // namespace
}  // namespace pgreplica::replica
