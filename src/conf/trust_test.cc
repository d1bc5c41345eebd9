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

// The hint said "chown root: FILE; chmod go-w FILE" when the directory was the problem.
TEST_F(TrustTest, TheFixNamesWhatMustChange) {
  std::string owned = File("owned.yaml");
  ASSERT_EQ(chown(owned.c_str(), 65534, 65534), 0);
  auto file = FindUntrusted(owned);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->fix, "Make the file belong to root and writable only by root (chown root: " +
                           owned + "; chmod go-w " + owned + ").");
  ASSERT_TRUE(MakeDirs(dir_->path() + "/home", 0755));
  std::string home = dir_->path() + "/home";
  ASSERT_EQ(chown(home.c_str(), 65534, 65534), 0);
  std::string path = home + "/c.yaml";
  ASSERT_TRUE(WriteFileAtomic(path, "x: 1\n", 0644));
  auto in_dir = FindUntrusted(path);
  ASSERT_TRUE(in_dir);
  EXPECT_EQ(in_dir->reason, "Its directory \"" + home + "\" belongs to user id 65534.");
  EXPECT_EQ(in_dir->fix,
            "Move the file to a directory that only root can write, such as /etc/pgreplica, or "
            "make the directory \"" +
                home + "\" belong to root and writable only by root (chown root: " + home +
                "; chmod go-w " + home + ").");
  // Both: the directory first, and the file as well.
  ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  auto both = FindUntrusted(path);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->reason, "It belongs to user id 65534. Its directory \"" + home +
                              "\" belongs to user id 65534.");
  EXPECT_NE(both->fix.find("Either way, make the file belong to root"), std::string::npos)
      << both->fix;
  EXPECT_FALSE(FindUntrusted(File("ok.yaml")));
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
