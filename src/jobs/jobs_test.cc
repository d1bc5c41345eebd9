#include "jobs/jobs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica::replica {
namespace {

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("/tmp", "pgreplica-jobs-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
    store_ = std::make_unique<JobStore>(dir_->path());
  }
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<JobStore> store_;
};

// A server message in LATIN1 or a path with any bytes must not abort a clone midway.
TEST_F(JobsTest, SavesTextThatIsNotUtf8) {
  auto job = store_->Create("clone", {"-D", "/data/caf\xe9"});
  ASSERT_TRUE(job) << job.error().message;
  job->steps.push_back({"copy", "failed", UtcNow(), 1.5, "FATAL: r\xf4le \"x\" n'existe pas"});
  job->error = {{"message", "pg_basebackup: \xff\xfe"}};
  ASSERT_TRUE(store_->Save(*job));
  auto loaded = store_->Load(job->id);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->arguments[1], "/data/caf\xef\xbf\xbd");
  EXPECT_EQ(loaded->steps[0].message, "FATAL: r\xef\xbf\xbdle \"x\" n'existe pas");
}

TEST_F(JobsTest, ListsJobsOfTheSameSecondNewestFirst) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto first = store_->Create("decommission", {});
    auto second = store_->Create("clone", {});
    auto third = store_->Create("clone", {});
    ASSERT_TRUE(first && second && third);
    if (first->started_at != third->started_at) continue;  // crossed a second boundary
    auto list = store_->List();
    ASSERT_TRUE(list);
    ASSERT_GE(list->size(), 3u);
    EXPECT_EQ((*list)[0].id, third->id);
    EXPECT_EQ((*list)[1].id, second->id);
    EXPECT_EQ((*list)[2].id, first->id);
    return;
  }
  FAIL() << "could not create three jobs within one second";
}

TEST_F(JobsTest, NeverOverwritesAnotherJobsRecord) {
  JobRecord old;
  old.id = "20260101T000000Z-clone-abcd";
  old.command = "clone";
  old.state = "succeeded";
  old.started_at = "2026-01-01T00:00:00Z";
  old.finished_at = "2026-01-01T00:10:00Z";
  old.exit_code = 0;
  old.pid = 1;
  ASSERT_TRUE(MakeDirs(dir_->path() + "/jobs", 0750));
  ASSERT_TRUE(store_->Save(old));
  std::string path = dir_->path() + "/jobs/" + old.id + ".json";
  auto before = ReadFile(path);
  auto again = store_->Create("clone", {}, old.id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(again.error().message, "job \"20260101T000000Z-clone-abcd\" already exists");
  EXPECT_EQ(*ReadFile(path), *before) << "the old record is kept";
  // The running record this process made is taken over (clone --detach's child does this).
  auto mine = store_->Create("clone", {}, "20260101T000000Z-clone-0001");
  ASSERT_TRUE(mine);
  auto taken = store_->Create("clone", {"--x"}, mine->id);
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->arguments, std::vector<std::string>{"--x"});
  EXPECT_FALSE(store_->Create("decommission", {}, mine->id)) << "another command's record";
}

TEST_F(JobsTest, DamagedRecordsAreErrors) {
  ASSERT_TRUE(MakeDirs(dir_->path() + "/jobs", 0750));
  for (const char* text :
       {"{", "[]", "{\"id\": 1}", R"({"id":"a","command":"c","arguments":[],"state":"s",
        "started_at":"","finished_at":"","exit_code":1e300,"pid":1,"log_file":"","steps":[]})",
        R"({"id":"a","command":"c","arguments":[],"state":"s","started_at":"","finished_at":"",
        "exit_code":0,"pid":99999999999,"log_file":"","steps":[]})"}) {
    ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/jobs/damaged.json", text, 0640));
    auto r = store_->Load("damaged");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().kind, ErrorKind::kFileAccess) << text;
  }
}

TEST(LogFollower, ReadsOnlyWhatWasAppended) {
  auto d = TempDir::Create("/tmp", "pgreplica-log-");
  ASSERT_TRUE(d);
  std::string path = d->path() + "/job.log";
  LogFollower log(path);
  EXPECT_EQ(log.ReadNew().value_or("x"), "") << "no file yet";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "one\n", 4), 4);
  EXPECT_EQ(log.ReadNew().value_or(""), "one\n");
  EXPECT_EQ(log.ReadNew().value_or("x"), "");
  ASSERT_EQ(write(fd, "two\n", 4), 4);
  EXPECT_EQ(log.ReadNew(2).value_or(""), "tw");
  EXPECT_EQ(log.ReadNew().value_or(""), "o\n");
  ASSERT_EQ(ftruncate(fd, 0), 0);
  ASSERT_EQ(write(fd, "new\n", 4), 4);
  EXPECT_EQ(log.ReadNew().value_or(""), "new\n") << "a truncated log is read from its start";
  close(fd);
}

// The log used to be re-read whole every 500 ms and silently ignored past 64 MiB.
TEST(LogFollower, FollowsBeyond64MiB) {
  auto d = TempDir::Create("/tmp", "pgreplica-log-");
  ASSERT_TRUE(d);
  std::string path = d->path() + "/job.log";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const off_t big = (64 << 20) + 10;
  ASSERT_EQ(ftruncate(fd, big), 0);  // sparse: no 64 MiB written to disk
  ASSERT_EQ(pwrite(fd, "the end\n", 8, big), 8);
  close(fd);
  LogFollower log(path);
  std::uint64_t total = 0;
  std::string last;
  while (true) {
    auto chunk = log.ReadNew();
    ASSERT_TRUE(chunk);
    if (chunk->empty()) break;
    total += chunk->size();
    last = *chunk;
  }
  EXPECT_EQ(total, static_cast<std::uint64_t>(big) + 8);
  EXPECT_TRUE(last.ends_with("the end\n"));
}

}  // namespace
}  // namespace pgreplica::replica
