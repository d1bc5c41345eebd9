#include "common/dirfd.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica {
namespace {

namespace fs = std::filesystem;

class DirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("/tmp", "pgreplica-dirfd-");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path();
    ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
  }
  std::string Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel) << text;
    return root_ + "/" + rel;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::optional<TempDir> tmp_;
  std::string root_;
};

TEST(LexicalPath, DropsDotsAndRepeatedAndTrailingSlashes) {
  EXPECT_EQ(LexicalPath("/a/b/"), "/a/b");
  EXPECT_EQ(LexicalPath("/a//./b//"), "/a/b");
  EXPECT_EQ(LexicalPath("/a/../b"), "/a/../b") << ".. needs the real directories";
  EXPECT_EQ(LexicalPath("/"), "/");
  EXPECT_EQ(LexicalPath("///"), "/");
  EXPECT_EQ(BaseName("/a/b/"), "b");
  EXPECT_EQ(BaseName("/"), "/");
}

TEST_F(DirTest, OpenResolvesDotsDotDotsAndLinksToTheRealPath) {
  fs::create_directories(root_ + "/a/b");
  fs::create_directory_symlink(root_ + "/a", root_ + "/link");
  auto d = Dir::Open(root_ + "/a/./b/../b/");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->path(), root_ + "/a/b");
  if (geteuid() != 0) {
    auto l = Dir::Open(root_ + "/link/b");
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(l->path(), root_ + "/a/b");
  }
  auto missing = Dir::Open(root_ + "/a/nothing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kFileAccess);
  Write("file", "x");
  auto file = Dir::Open(root_ + "/file");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().detail.find("is not a directory"), std::string::npos);
}

TEST_F(DirTest, AsRootALinkInADirectoryAnotherUserCanWriteIsNotFollowed) {
  if (geteuid() != 0) GTEST_SKIP() << "the rule is root's";
  fs::create_directories(root_ + "/theirs");
  fs::create_directories(root_ + "/target");
  fs::create_directory_symlink(root_ + "/target", root_ + "/theirs/link");
  // A directory that belongs to another user (nobody): its links are that user's to change.
  ASSERT_EQ(chown((root_ + "/theirs").c_str(), 65534, 65534), 0);
  auto d = Dir::Open(root_ + "/theirs/link");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ErrorKind::kInsecureFile);
  EXPECT_NE(d.error().message.find(
                "is a symbolic link in a directory that user \"nobody\" (uid 65534) can "
                "write"),
            std::string::npos)
      << d.error().message;
  // The same link in a directory that only root can write is followed.
  ASSERT_EQ(chown((root_ + "/theirs").c_str(), 0, 0), 0);
  ASSERT_EQ(chmod((root_ + "/theirs").c_str(), 0755), 0);
  auto ok = Dir::Open(root_ + "/theirs/link");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->path(), root_ + "/target");
  // Group-writable by another group: not trusted either.
  ASSERT_EQ(chmod((root_ + "/theirs").c_str(), 0775), 0);
  EXPECT_FALSE(Dir::Open(root_ + "/theirs/link"));
}

// ".." goes to the parent of the real path walked so far, walked again from "/": a directory
// that another user moves elsewhere meanwhile cannot lead the walk into their choice.
TEST_F(DirTest, DotDotIsTheParentOfThePathWalkedNotOfWhereTheDirectoryIsNow) {
  fs::create_directories(root_ + "/a/sub");
  fs::create_directories(root_ + "/b");
  auto d = Dir::Open(root_ + "/a/sub/..");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->path(), root_ + "/a");
  struct stat a {};
  ASSERT_EQ(stat((root_ + "/a").c_str(), &a), 0);
  EXPECT_EQ(d->status().st_ino, a.st_ino);
}

TEST_F(DirTest, ReadFileByTrustedPathFollowsOnlyLinksNoOneElseCouldHaveMade) {
  Write("file", "text\n");
  ASSERT_EQ(symlink("file", (root_ + "/mine").c_str()), 0);
  auto r = ReadFileByTrustedPath(root_ + "/mine", 1024);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "text\n");
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  auto fifo = ReadFileByTrustedPath(root_ + "/fifo", 1024);
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().detail.find("FIFO"), std::string::npos);
  if (geteuid() != 0) return;
  // As root: a link another user owns, one in a directory another user owns (on the way or
  // last), and root's link to another user's link are all refused.
  fs::create_directories(root_ + "/theirs");
  ASSERT_EQ(chown((root_ + "/theirs").c_str(), 65534, 65534), 0);
  ASSERT_EQ(symlink(root_.c_str(), (root_ + "/theirs/up").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/file").c_str(), (root_ + "/theirs/last").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/file").c_str(), (root_ + "/owned").c_str()), 0);
  ASSERT_EQ(lchown((root_ + "/owned").c_str(), 65534, 65534), 0);
  ASSERT_EQ(symlink((root_ + "/theirs/last").c_str(), (root_ + "/chain").c_str()), 0);
  for (const char* p : {"/theirs/up/file", "/theirs/last", "/owned", "/chain"}) {
    auto refused = ReadFileByTrustedPath(root_ + p, 1024);
    ASSERT_FALSE(refused) << p;
    EXPECT_EQ(refused.error().kind, ErrorKind::kInsecureFile)
        << p << ": " << refused.error().message;
  }
}

TEST_F(DirTest, OpenFileRefusesLinksAndNonRegularFilesWithoutBlocking) {
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  std::string secret = Write("secret", "root's secret");
  ASSERT_EQ(symlink(secret.c_str(), (root_ + "/link").c_str()), 0);
  auto link = d->OpenFile("link", O_RDONLY);
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().kind, ErrorKind::kInsecureFile);
  ASSERT_EQ(mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  auto fifo = d->OpenFile("fifo", O_RDONLY);  // would block forever without O_NONBLOCK
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().kind, ErrorKind::kInsecureFile);
  auto created = d->OpenFile("new", O_RDWR | O_CREAT);
  EXPECT_TRUE(created) << created.error().message;
  // A dangling link is not created through.
  ASSERT_EQ(symlink((root_ + "/elsewhere").c_str(), (root_ + "/dangling").c_str()), 0);
  EXPECT_FALSE(d->OpenFile("dangling", O_RDWR | O_CREAT));
  EXPECT_FALSE(fs::exists(root_ + "/elsewhere"));
}

TEST_F(DirTest, WriteFileAtomicReplacesALinkInsteadOfWritingThroughIt) {
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  std::string secret = Write("secret", "root's secret");
  ASSERT_EQ(symlink(secret.c_str(), (root_ + "/file").c_str()), 0);
  ASSERT_TRUE(d->WriteFileAtomic("file", "new contents", 0600, std::nullopt));
  EXPECT_FALSE(fs::is_symlink(root_ + "/file"));
  EXPECT_EQ(Slurp(root_ + "/file"), "new contents");
  EXPECT_EQ(Slurp(secret), "root's secret");
  EXPECT_EQ(fs::status(root_ + "/file").permissions(), fs::perms(0600));
}

TEST_F(DirTest, RenameNeverReplacesAnything) {
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  fs::create_directories(root_ + "/from");
  fs::create_directories(root_ + "/to");  // empty: plain rename(2) would replace it
  auto r = d->Rename("from", "to");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("could not rename"), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ + "/from"));
  ASSERT_TRUE(d->Rename("from", "moved"));
  EXPECT_TRUE(fs::exists(root_ + "/moved"));
}

TEST_F(DirTest, RemoveTreeRemovesLinksNotWhatTheyPointTo) {
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  fs::create_directories(root_ + "/keep");
  std::string kept = Write("keep/file", "keep me");
  fs::create_directories(root_ + "/tree/sub");
  Write("tree/sub/f", "x");
  fs::create_directory_symlink(root_ + "/keep", root_ + "/tree/sub/link");
  ASSERT_TRUE(d->RemoveTree("tree"));
  EXPECT_FALSE(fs::exists(root_ + "/tree"));
  EXPECT_EQ(Slurp(kept), "keep me");
  // A link in the removed name itself: only the link goes.
  fs::create_directory_symlink(root_ + "/keep", root_ + "/alias");
  ASSERT_TRUE(d->RemoveTree("alias"));
  EXPECT_EQ(Slurp(kept), "keep me");
  EXPECT_TRUE(d->RemoveTree("missing")) << "missing is fine";
}

TEST_F(DirTest, RemoveTreeNeverEntersAnotherFilesystem) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  fs::create_directories(root_ + "/tree/mnt");
  ASSERT_EQ(mount("tmpfs", (root_ + "/tree/mnt").c_str(), "tmpfs", 0, "size=1m"), 0);
  Write("tree/mnt/file", "on another filesystem");
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  auto r = d->RemoveTree("tree");
  EXPECT_FALSE(r);
  EXPECT_TRUE(fs::exists(root_ + "/tree/mnt/file"));
  umount2((root_ + "/tree/mnt").c_str(), MNT_DETACH);
}

TEST_F(DirTest, RemoveTreeNeverEntersABindMount) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  fs::create_directories(root_ + "/elsewhere");
  std::string kept = Write("elsewhere/keep", "on the same filesystem, elsewhere");
  fs::create_directories(root_ + "/tree/bind");
  ASSERT_EQ(mount((root_ + "/elsewhere").c_str(), (root_ + "/tree/bind").c_str(), nullptr, MS_BIND,
                  nullptr),
            0);
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->RemoveTree("tree")) << "a bind mount of the same device is a mount point too";
  umount2((root_ + "/tree/bind").c_str(), MNT_DETACH);
  EXPECT_EQ(Slurp(kept), "on the same filesystem, elsewhere");
}

TEST_F(DirTest, MountsBelowADirectoryAreSeenEvenWithSpacesInTheirNames) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  fs::create_directories(root_ + "/tree/a dir/mnt");
  EXPECT_FALSE(HasMountBelow(root_ + "/tree"));
  ASSERT_EQ(mount("tmpfs", (root_ + "/tree/a dir/mnt").c_str(), "tmpfs", 0, "size=1m"), 0);
  EXPECT_TRUE(HasMountBelow(root_ + "/tree"));
  EXPECT_TRUE(HasMountBelow(root_ + "/tree/a dir"));
  EXPECT_FALSE(HasMountBelow(root_ + "/tree/a dir/mnt")) << "the mount point itself is not below";
  EXPECT_FALSE(HasMountBelow(root_ + "/tre"));
  umount2((root_ + "/tree/a dir/mnt").c_str(), MNT_DETACH);
}

TEST_F(DirTest, ReplaceSymlinkAndChownChmodGoThroughTheDirectory) {
  auto d = Dir::Open(root_);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->ReplaceSymlink("l", "/first"));
  ASSERT_TRUE(d->ReplaceSymlink("l", "/second"));
  EXPECT_EQ(fs::read_symlink(root_ + "/l").string(), "/second");
  fs::create_directories(root_ + "/dir");
  ASSERT_TRUE(d->ChownChmod("dir", std::nullopt, 0700));
  EXPECT_EQ(fs::status(root_ + "/dir").permissions(), fs::perms(0700));
  EXPECT_FALSE(d->ChownChmod("l", std::nullopt, 0700)) << "a link is never followed";
  auto empty = d->RemoveEmptyDir("dir");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(*empty);
}

}  // namespace
}  // namespace pgreplica
