#include "conf/secrets.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica::conf {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("/tmp", "pgreplica-secrets-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }
  Result<std::string> FromFile(const std::string& text) {
    std::string path = dir_->path() + "/secret";
    EXPECT_TRUE(WriteFileAtomic(path, text, 0600));
    return ReadSecretFile(path, {geteuid()});
  }
  // Standard input as a file, as a shell redirection gives it (a pipe holds only 64 kB).
  Result<std::string> FromFd(const std::string& text) {
    std::string path = dir_->path() + "/stdin";
    EXPECT_TRUE(WriteFileAtomic(path, text, 0600));
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    auto r = ReadSecretFromFd(fd);
    close(fd);
    return r;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(SecretsTest, OneTrailingLineEndingIsStripped) {
  for (auto [text, want] : {std::pair{"abc", "abc"},
                            {"abc\n", "abc"},
                            {"abc\r\n", "abc"},
                            {"p:a\\ss 'w\" #ü\n", "p:a\\ss 'w\" #ü"},
                            {" spaced \n", " spaced "}}) {
    auto f = FromFile(text);
    ASSERT_TRUE(f) << text << ": " << f.error().message;
    EXPECT_EQ(*f, want);
    auto s = FromFd(text);
    ASSERT_TRUE(s) << text << ": " << s.error().message;
    EXPECT_EQ(*s, want);
  }
}

TEST_F(SecretsTest, RejectsASecondLineInsteadOfTruncating) {
  for (const char* text : {"abc\ndef", "abc\ndef\n", "abc\n\n", "abc\r\n\r\n", "abc\r",
                           "abc\rdef\n", "\nabc\n", "abc\n \n"}) {
    auto f = FromFile(text);
    ASSERT_FALSE(f) << text << " gave " << *f;
    EXPECT_EQ(f.error().kind, ErrorKind::kConfigInvalid) << text;
    EXPECT_NE(f.error().message.find("more than one line"), std::string::npos) << f.error().message;
    EXPECT_EQ(f.error().message.find("abc"), std::string::npos) << "the password was printed";
    EXPECT_EQ(f.error().detail.find("abc"), std::string::npos) << "the password was printed";
    auto s = FromFd(text);
    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().kind, ErrorKind::kUsage) << text;
    EXPECT_EQ(s.error().message, "standard input holds more than one line");
  }
}

TEST_F(SecretsTest, RejectsNulBytesAndHugeInput) {
  auto nul = FromFile(std::string("abc\0def\n", 8));
  ASSERT_FALSE(nul);
  EXPECT_NE(nul.error().message.find("NUL byte"), std::string::npos) << nul.error().message;
  auto huge = FromFd(std::string(70000, 'x'));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("too long"), std::string::npos) << huge.error().message;
  EXPECT_EQ(FromFile("\n").error().kind, ErrorKind::kConfigInvalid);
  EXPECT_EQ(FromFd("").error().message, "no password on standard input");
}

}  // namespace
}  // namespace pgreplica::conf
