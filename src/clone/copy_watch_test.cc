#include "clone/copy_watch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "clone/verify.h"
#include "common/fs.h"
#include "support/wait.h"

namespace pgreplica::replica {
namespace {

namespace fs = std::filesystem;

// Whether an inotify instance of this process watches directory `dir`: the kernel lists each
// watch of an instance in its /proc/self/fdinfo entry ("inotify wd:2 ino:1a2b sdev:...").
bool Watched(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return false;
  std::string needle = fmt::format(" ino:{:x} ", st.st_ino);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/self/fd", ec)) {
    std::error_code link_ec;
    if (fs::read_symlink(e.path(), link_ec) != "anon_inode:inotify") continue;
    auto info = ReadFile("/proc/self/fdinfo/" + e.path().filename().string());
    if (info && info->find(needle) != std::string::npos) return true;
  }
  return false;
}

// How long the tests let the watcher sum what was written before they call Finish(). A fixed
// time on purpose: the sums are the watcher's only sign of progress, and Finish() ends it (a
// file it had no time for is left to the verifier, correct but not what these tests look at).
// Summing a few MB takes milliseconds; a second leaves room for a loaded machine.
constexpr std::chrono::milliseconds kSumTime{1000};

class CopyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("/tmp", "pgreplica-watch-");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path() + "/staging";
    fs::create_directories(root_);
  }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel, std::ios::binary) << text;
  }
  std::optional<std::uint32_t> Reusable(const PrecomputedSums& sums, const std::string& rel) {
    UniqueFd fd(open((root_ + "/" + rel).c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid()) << rel;
    return ReusableCrc32c(sums, fd.get());
  }
  static std::uint32_t Crc(const std::string& s) {
    return Crc32cUpdate(kCrc32cInit, s.data(), s.size()) ^ kCrc32cInit;
  }
  std::optional<TempDir> tmp_;
  std::string root_;
};

TEST_F(CopyWatcherTest, SumsFilesClosedInTheTreeAndInNewDirectories) {
  auto dir = Dir::Open(root_);
  ASSERT_TRUE(dir);
  auto w = CopyWatcher::Start({&*dir});
  ASSERT_TRUE(w) << w.error().message;
  std::string big(3 << 20, 'b');
  Write("PG_VERSION", "15\n");
  fs::create_directories(root_ + "/base/1");  // watched once the watcher sees it
  ASSERT_TRUE(testing::WaitUntil([&] { return Watched(root_ + "/base/1"); },
                                 std::chrono::seconds(10), "the watcher to watch base/1"));
  Write("base/1/1259", big);
  std::this_thread::sleep_for(kSumTime);
  PrecomputedSums sums = (*w)->Finish();
  EXPECT_EQ(Reusable(sums, "PG_VERSION"), Crc("15\n"));
  EXPECT_EQ(Reusable(sums, "base/1/1259"), Crc(big));
}

TEST_F(CopyWatcherTest, AFileChangedAfterItsSumIsNotVouchedFor) {
  auto dir = Dir::Open(root_);
  ASSERT_TRUE(dir);
  auto w = CopyWatcher::Start({&*dir});
  ASSERT_TRUE(w);
  Write("a", std::string(100000, 'a'));
  Write("b", std::string(100000, 'b'));
  std::this_thread::sleep_for(kSumTime);
  PrecomputedSums sums = (*w)->Finish();
  ASSERT_TRUE(Reusable(sums, "a"));
  ASSERT_TRUE(Reusable(sums, "b"));
  // Same size, one byte different: the ctime moves on, so the sum no longer counts.
  {
    std::fstream f(root_ + "/a", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5000);
    f.put('X');
  }
  EXPECT_FALSE(Reusable(sums, "a"));
  // Replaced by another file of the same size under the same name.
  Write("b.new", std::string(100000, 'c'));
  fs::rename(root_ + "/b.new", root_ + "/b");
  EXPECT_FALSE(Reusable(sums, "b"));
}

TEST_F(CopyWatcherTest, TheVerifierUsesTheSumsAndStillCatchesALaterFlip) {
  auto dir = Dir::Open(root_);
  ASSERT_TRUE(dir);
  auto w = CopyWatcher::Start({&*dir});
  ASSERT_TRUE(w);
  std::string data(1 << 20, 'd');
  Write("f1", data);
  Write("f2", data);
  std::this_thread::sleep_for(kSumTime);
  PrecomputedSums sums = (*w)->Finish();
  std::string manifest_files =
      "{\"Path\": \"f1\", \"Size\": 1048576, \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"" +
      Crc32cHex(Crc(data)) +
      "\"},\n{\"Path\": \"f2\", \"Size\": 1048576, \"Checksum-Algorithm\": " +
      "\"CRC32C\", \"Checksum\": \"" + Crc32cHex(Crc(data)) + "\"}\n";
  std::string text = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n" +
                     manifest_files + "],\n\"WAL-Ranges\": [\n],\n";
  auto sha = FileChecksum::Make("SHA256");
  ASSERT_TRUE(sha);
  sha->Update(text.data(), text.size());
  text += "\"Manifest-Checksum\": \"" + sha->Hex() + "\"}\n";
  Write("backup_manifest", text);
  auto m = ParseManifest(text);
  ASSERT_TRUE(m) << m.error().detail;
  VerifyTarget target{.data = &*dir, .precomputed = &sums};
  auto r = VerifyCopy(target, *m);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->reused_files, 2u);
  EXPECT_EQ(r->bytes, 0u);
  {
    std::fstream f(root_ + "/f2", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12345);
    f.put('X');
  }
  r = VerifyCopy(target, *m);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->problems, std::vector<std::string>{"checksum mismatch for file \"f2\""});
  EXPECT_EQ(r->reused_files, 1u);
  EXPECT_EQ(r->bytes, 1u << 20);
}

}  // namespace
}  // namespace pgreplica::replica
