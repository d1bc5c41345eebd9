#include "conf/trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "conf/config.h"

namespace pgreplica::conf {
namespace {

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "ownership by root needs root";
    auto d = TempDir::Create("/tmp", "pgreplica-trust-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
    ASSERT_EQ(chmod(dir_->path().c_str(), 0755), 0);
  }
  std::string File(const std::string& name, mode_t mode = 0644) {
    std::string path = dir_->path() + "/" + name;
    EXPECT_TRUE(
        WriteFileAtomic(path, "local:\n  service:\n    type: custom\n    start: [x]\n", mode));
    return path;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(TrustTest, OnlyRootCanWrite) {
  EXPECT_EQ(WritableByOthers(File("ok.yaml")), "");
  EXPECT_EQ(WritableByOthers(File("ok.yaml", 0600)), "");
}

TEST_F(TrustTest, AFileOthersCanWrite) {
  std::string owned = File("owned.yaml");
  ASSERT_EQ(chown(owned.c_str(), 65534, 65534), 0);
  EXPECT_EQ(WritableByOthers(owned), "It belongs to user id 65534.");
  std::string world = File("world.yaml", 0666);
  EXPECT_EQ(WritableByOthers(world), "It is writable by others (mode 0666).");
  std::string group = File("group.yaml", 0664);
  ASSERT_EQ(chown(group.c_str(), 0, 65534), 0);
  EXPECT_EQ(WritableByOthers(group), "It is writable by group id 65534 (mode 0664).");
}

TEST_F(TrustTest, ADirectoryOthersCanWrite) {
  ASSERT_TRUE(MakeDirs(dir_->path() + "/sub/etc", 0755));
  std::string path = dir_->path() + "/sub/etc/c.yaml";
  ASSERT_TRUE(WriteFileAtomic(path, "x: 1\n", 0644));
  EXPECT_EQ(WritableByOthers(path), "");
  ASSERT_EQ(chown((dir_->path() + "/sub").c_str(), 65534, 65534), 0);
  EXPECT_EQ(WritableByOthers(path),
            "Its directory \"" + dir_->path() + "/sub\" belongs to user id 65534.");
  // Through a symbolic link from a safe place into an unsafe one.
  ASSERT_EQ(symlink(path.c_str(), (dir_->path() + "/link.yaml").c_str()), 0);
  EXPECT_NE(WritableByOthers(dir_->path() + "/link.yaml"), "");
}

TEST_F(TrustTest, LoadConfigRecordsItForCustomCommands) {
  std::string path = File("custom.yaml");
  auto ok = LoadConfig(path);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->local.service.commands_source, path);
  EXPECT_EQ(ok->local.service.commands_writable_by, "");
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  auto owned = LoadConfig(path);
  ASSERT_TRUE(owned);
  EXPECT_EQ(owned->local.service.commands_writable_by, "It belongs to user id 65534.");
}

}  // namespace
}  // namespace pgreplica::conf
