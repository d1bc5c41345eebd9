#include "local/service.h"

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

ServiceContext Context(const std::string& data_directory, const std::string& bindir = "/usr/bin") {
  return {bindir, data_directory, proc::OsUser{"postgres", 1, 1, "/", {}}, 5432, 10};
}

// pg_ctl starts the server with /bin/sh -c "exec \"postgres\" -D \"<dir>\" ... >> \"<log>\"".
TEST(Service, PgCtlRefusesPathsThatTheShellWouldRun) {
  conf::ServiceConfig pg_ctl;
  EXPECT_TRUE(MakeService(pg_ctl, Context("/var/lib/postgresql/15/main")));
  for (const char* dir : {"/data/$(touch /tmp/owned)", "/data/`id`", "/data/a\"b", "/data/a\\b",
                          "/data/$HOME", "/data/a\nb"}) {
    auto r = MakeService(pg_ctl, Context(dir));
    ASSERT_FALSE(r) << dir;
    EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid) << dir;
    EXPECT_NE(r.error().message.find("unsafe data directory path"), std::string::npos)
        << r.error().message;
  }
  pg_ctl.log_file = "/var/log/pg`id`.log";
  EXPECT_FALSE(MakeService(pg_ctl, Context("/data/ok")));
  pg_ctl.log_file.clear();
  EXPECT_FALSE(MakeService(pg_ctl, Context("/data/ok", "/opt/pg$x/bin")));
  // Other service types do not go through a shell.
  conf::ServiceConfig systemd{.type = "systemd", .unit = "postgresql@15-main"};
  EXPECT_TRUE(MakeService(systemd, Context("/data/$weird")));
}

TEST(Service, UnitNamesCannotBeOptions) {
  for (const char* type : {"systemd", "service"}) {
    for (const char* unit : {"-H", "--host=db2", "a b", "../x", "a\nb"}) {
      conf::ServiceConfig s{.type = type, .unit = unit};
      auto r = MakeService(s, Context("/data"));
      ASSERT_FALSE(r) << type << " " << unit;
      EXPECT_EQ(r.error().kind, ErrorKind::kConfigInvalid);
    }
  }
}

// Custom commands that root runs, from a file that someone else could write: refused.
TEST(Service, RootRefusesCustomCommandsFromAFileOthersCanWrite) {
  conf::ServiceConfig s{.type = "custom", .start = {"true"}, .stop = {"true"}, .status = {"true"}};
  EXPECT_TRUE(MakeService(s, Context("/data")));
  s.commands_source = "/etc/pgreplica/pgreplica.yaml";
  s.commands_writable_by = "It belongs to user id 26.";
  auto r = MakeService(s, Context("/data"));
  if (geteuid() != 0) {
    EXPECT_TRUE(r) << "only root refuses";
    return;
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInsecureFile);
  EXPECT_EQ(r.error().message,
            "refusing to run the custom service commands of \"/etc/pgreplica/pgreplica.yaml\" as "
            "root");
  EXPECT_NE(r.error().detail.find("It belongs to user id 26."), std::string::npos);
  // The hint is what the configuration's check found must change.
  s.commands_fix = "Move the file to a directory that only root can write.";
  auto hinted = MakeService(s, Context("/data"));
  ASSERT_FALSE(hinted);
  EXPECT_EQ(hinted.error().hint, s.commands_fix);
  EXPECT_FALSE(CheckCommandsTrusted(s));
  s.type = "systemd";  // the commands are not used, so not refused
  EXPECT_TRUE(CheckCommandsTrusted(s));
}

}  // namespace
}  // namespace pgreplica::replica
