#include "clone/swap.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "local/datadir.h"
#include "proc/child.h"

namespace pgreplica::replica {
namespace {

namespace fs = std::filesystem;

// A process that stands in for a postmaster: alive, with its working directory in `dir`.
proc::Child FakePostmaster(const std::string& dir) {
  auto c = proc::Child::Start({.argv = {"sleep", "60"}, .cwd = dir});
  EXPECT_TRUE(c) << c.error().message;
  std::ofstream(dir + "/postmaster.pid") << c->pid() << "\n" << dir << "\n";
  return std::move(*c);
}

// A service that claims whatever it is told and does nothing.
class LyingService : public Service {
 public:
  explicit LyingService(bool says_running) : says_running_(says_running) {}
  Result<bool> IsRunning() override { return says_running_; }
  Status Start() override {
    ++starts;
    return {};
  }
  Status Stop() override {
    ++stops;
    return {};
  }
  std::string Describe() const override { return "a lying service"; }
  int starts = 0, stops = 0;

 private:
  bool says_running_;
};

class SwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create(fs::temp_directory_path().string(), "pgreplica-swap-test");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    data_ = tmp_->path() + "/data";
    staging_ = data_ + ".pgreplica-staging";
    fs::create_directories(data_);
    fs::create_directories(staging_);
    std::ofstream(data_ + "/PG_VERSION") << "15\n";
    std::ofstream(staging_ + "/PG_VERSION") << "15\n";
    std::ofstream(staging_ + "/new") << "new copy\n";
  }
  // The layout as the clone builds it (stamp "test"), resolved now.
  LocalLayout& Layout() {
    auto data = ResolveLocation(data_);
    EXPECT_TRUE(data) << data.error().message;
    layout_.emplace(LocalLayout{std::move(*data), {}, {}, "test"});
    return *layout_;
  }
  SwapInputs Inputs() {
    auto me = proc::CurrentUser();
    struct stat st {};
    EXPECT_EQ(stat(staging_.c_str(), &st), 0);
    return {Layout(), FileId{st.st_dev, st.st_ino}, me ? *me : proc::OsUser{},
            std::chrono::milliseconds(300)};
  }
  std::optional<LocalLayout> layout_;
  std::optional<TempDir> tmp_;
  std::string data_, staging_;
};

TEST_F(SwapTest, RunningPostmasterIsFoundByPidAndWorkingDirectory) {
  EXPECT_EQ(RunningPostmaster(data_), 0) << "no postmaster.pid";
  {
    auto server = FakePostmaster(data_);
    EXPECT_EQ(RunningPostmaster(data_), server.pid());
    EXPECT_EQ(InspectDataDir(Layout().data)->postmaster_pid, server.pid());
  }
  EXPECT_EQ(RunningPostmaster(data_), 0) << "the pid is gone";
  // A stale file whose pid now belongs to a process elsewhere (this test) is no server.
  std::ofstream(data_ + "/postmaster.pid") << getpid() << "\n";
  EXPECT_EQ(RunningPostmaster(data_), 0);
  EXPECT_EQ(InspectDataDir(Layout().data)->postmaster_pid, 0);
}

TEST_F(SwapTest, AServerTheServiceDidNotStopIsNeverMovedAway) {
  for (bool says_running : {true, false}) {
    SCOPED_TRACE(says_running ? "the service stops nothing" : "the service says it is stopped");
    auto server = FakePostmaster(data_);
    LyingService service(says_running);
    auto r = SwapIn(Inputs(), service);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::kChildFailed);
    EXPECT_EQ(r.error().message, "could not stop the old standby");
    EXPECT_NE(r.error().detail.find(std::to_string(server.pid())), std::string::npos)
        << r.error().detail;
    EXPECT_TRUE(fs::exists(data_ + "/postmaster.pid")) << "the data directory stays in place";
    EXPECT_FALSE(fs::exists(data_ + ".old-test"));
    EXPECT_TRUE(fs::exists(staging_ + "/new")) << "the copy stays in staging";
    EXPECT_EQ(service.stops, says_running ? 1 : 0);
    EXPECT_EQ(service.starts, 0) << "a server that still runs is not started again";
  }
}

// A start that reports failure although the new copy came up (a timeout, say), and a stop
// that does nothing: the rollback must not move the running copy away.
TEST_F(SwapTest, ARollBackNeverMovesARunningNewCopy) {
  class StartsButFails : public LyingService {
   public:
    explicit StartsButFails(std::string dir) : LyingService(false), dir_(std::move(dir)) {}
    Status Start() override {
      server.emplace(FakePostmaster(dir_));
      return Fail(ErrorKind::kChildFailed, "start timed out");
    }
    std::optional<proc::Child> server;

   private:
    std::string dir_;
  } service(data_);
  auto r = SwapIn(Inputs(), service);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("the new copy was left in place"), std::string::npos)
      << r.error().detail;
  EXPECT_TRUE(fs::exists(data_ + "/new")) << "the running new copy stays where it runs";
  EXPECT_TRUE(fs::exists(data_ + ".old-test/PG_VERSION")) << "the old data is kept";
}

TEST_F(SwapTest, AStoppedDirectoryIsSwapped) {
  std::ofstream(data_ + "/old") << "old copy\n";
  LyingService service(false);
  auto r = SwapIn(Inputs(), service);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(fs::exists(data_ + "/new"));
  EXPECT_TRUE(fs::exists(data_ + ".old-test/old"));
  EXPECT_FALSE(fs::exists(staging_));
  EXPECT_EQ(service.starts, 1);
}

}  // namespace
}  // namespace pgreplica::replica
