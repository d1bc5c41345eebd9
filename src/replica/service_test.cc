#include "replica/service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica::replica {
namespace {

namespace fs = std::filesystem;

// An /etc/postgresql tree in a temporary directory.
class DebianTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / fmt::format("pgreplica-debian-{}", ::getpid());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void AddCluster(const std::string& version, const std::string& name, const std::string& conf) {
    fs::create_directories(root_ / "etc" / version / name);
    std::ofstream(root_ / "etc" / version / name / "postgresql.conf") << conf;
  }
  std::string Etc() const { return (root_ / "etc").string(); }
  std::string Data(const std::string& tail) const { return (root_ / "data" / tail).string(); }
  fs::path root_;
};

TEST_F(DebianTreeTest, FindsTheClusterWhoseDataDirectoryMatches) {
  AddCluster("14", "main", "data_directory = '" + Data("14/main") + "'\n");
  AddCluster("15", "main",
             "# data_directory = '/elsewhere'\n"
             "data_directory = '" +
                 Data("15/main") + "'\t\t# use data in another directory\n");
  AddCluster("15", "other", "port = 5433\n");
  auto c = FindDebianCluster(Data("15/main"), Etc());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, "15");
  EXPECT_EQ(c->name, "main");
  EXPECT_EQ(c->config_file, Etc() + "/15/main/postgresql.conf");
  // A trailing slash or a dot segment names the same directory.
  EXPECT_TRUE(FindDebianCluster(Data("15/main/"), Etc()));
  EXPECT_TRUE(FindDebianCluster(Data("15/./main"), Etc()));
  EXPECT_FALSE(FindDebianCluster(Data("15/main2"), Etc()));
  EXPECT_FALSE(FindDebianCluster(Data("15"), Etc()));
}

// /etc/postgresql belongs to postgres on Debian: a FIFO in place of postgresql.conf must not
// hang root, and a cluster directory that is a link (to a root-only configuration) is not read.
TEST_F(DebianTreeTest, FifosAndLinksInTheTreeAreNotOpened) {
  AddCluster("15", "main", "port = 5432\n");
  fs::create_directories(root_ / "etc" / "15" / "fifo");
  ASSERT_EQ(mkfifo((root_ / "etc" / "15" / "fifo" / "postgresql.conf").c_str(), 0600), 0);
  fs::create_directories(root_ / "secret");
  std::ofstream(root_ / "secret" / "postgresql.conf") << "data_directory = '" + Data("x") + "'\n";
  fs::create_directory_symlink(root_ / "secret", root_ / "etc" / "15" / "linked");
  EXPECT_FALSE(FindDebianCluster(Data("x"), Etc())) << "the linked cluster is not read";
  EXPECT_FALSE(FindDebianCluster(Data("15/main"), Etc())) << "and the FIFO does not block";
}

TEST_F(DebianTreeTest, NoTreeMeansNoCluster) {
  EXPECT_FALSE(FindDebianCluster("/var/lib/postgresql/15/main", Etc()));
}

TEST_F(DebianTreeTest, PgCtlCannotStartADebianCluster) {
  AddCluster("15", "main", "data_directory = '" + Data("15/main") + "'\n");
  conf::ServiceConfig pg_ctl;
  pg_ctl.type = "pg_ctl";
  auto s = CheckServiceFits(pg_ctl, Data("15/main"), Etc());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(s.error().message,
            "the data directory belongs to the Debian cluster 15/main, which service type pg_ctl "
            "cannot start");
  EXPECT_NE(s.error().detail.find(Etc() + "/15/main/postgresql.conf"), std::string::npos);
  EXPECT_NE(s.error().hint.find("postgresql@15-main"), std::string::npos);
  EXPECT_NE(s.error().hint.find("pg_ctlcluster 15 main"), std::string::npos);
  // Another data directory, or a service type that reads /etc/postgresql, is fine.
  EXPECT_TRUE(CheckServiceFits(pg_ctl, Data("standby"), Etc()));
  conf::ServiceConfig systemd;
  systemd.type = "systemd";
  systemd.unit = "postgresql@15-main";
  EXPECT_TRUE(CheckServiceFits(systemd, Data("15/main"), Etc()));
}

}  // namespace
}  // namespace pgreplica::replica
