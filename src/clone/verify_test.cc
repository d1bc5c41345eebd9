#include "clone/verify.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace pgreplica::replica {
namespace {

namespace fs = std::filesystem;

std::string Sum(const std::string& algorithm, std::string_view data) {
  auto c = FileChecksum::Make(algorithm);
  EXPECT_TRUE(c) << algorithm;
  if (!c) return "";
  c->Update(data.data(), data.size());
  return c->Hex();
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
  std::string s = "123456789";
  EXPECT_EQ(Crc32cUpdate(kCrc32cInit, s.data(), s.size()) ^ kCrc32cInit, 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(kCrc32cInit, s.data(), s.size()) ^ kCrc32cInit, 0xE3069283u);
  // PostgreSQL writes the value's bytes in memory (little-endian) order.
  EXPECT_EQ(Sum("CRC32C", s), "839206e3");
}

TEST(Crc32c, InstructionAndTableAgreeOnEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::string data(4096 + 16, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t len : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096}) {
      EXPECT_EQ(Crc32cUpdate(kCrc32cInit, data.data() + offset, len),
                Crc32cPortable(kCrc32cInit, data.data() + offset, len))
          << offset << " " << len;
    }
  }
  // Updating in pieces gives the value of the whole.
  std::uint32_t whole = Crc32cUpdate(kCrc32cInit, data.data(), data.size());
  std::uint32_t parts = Crc32cUpdate(kCrc32cInit, data.data(), 1001);
  parts = Crc32cUpdate(parts, data.data() + 1001, data.size() - 1001);
  EXPECT_EQ(whole, parts);
}

TEST(FileChecksum, ShaFamilyMatchesKnownDigests) {
  EXPECT_EQ(Sum("SHA256", "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sum("SHA224", "abc"), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
  EXPECT_EQ(Sum("SHA384", "").substr(0, 16), "38b060a751ac9638");
  EXPECT_EQ(Sum("SHA512", "").substr(0, 16), "cf83e1357eefb8bd");
  EXPECT_FALSE(FileChecksum::Make("MD5"));
}

// A manifest as PostgreSQL writes it: one file per line, then WAL ranges, then the checksum
// of everything before the last line.
std::string MakeManifest(
    const std::vector<std::tuple<std::string, std::string, std::string>>& files,
    const std::string& algorithm = "CRC32C", bool encode_last = false) {
  std::string text = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n";
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [path, contents, override_sum] = files[i];
    nlohmann::json f;
    if (encode_last && i + 1 == files.size()) {
      std::string hex;
      for (unsigned char c : path) hex += fmt::format("{:02x}", c);
      f["Encoded-Path"] = hex;
    } else {
      f["Path"] = path;
    }
    f["Size"] = contents.size();
    f["Last-Modified"] = "2026-11-27 03:00:00 GMT";
    f["Checksum-Algorithm"] = algorithm;
    f["Checksum"] = override_sum.empty() ? Sum(algorithm, contents) : override_sum;
    text += f.dump() + (i + 1 < files.size() ? ",\n" : "\n");
  }
  text +=
      "],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": "
      "\"0/2000100\" }\n],\n";
  text += fmt::format("\"Manifest-Checksum\": \"{}\"}}\n", Sum("SHA256", text));
  return text;
}

TEST(ParseManifest, ReadsFilesRangesAndChecksItsOwnChecksum) {
  std::string text = MakeManifest({{"PG_VERSION", "15\n", ""}, {"base/1/odd\xff", "x", ""}},
                                  "CRC32C", /*encode_last=*/true);
  auto m = ParseManifest(text);
  ASSERT_TRUE(m) << m.error().message << ": " << m.error().detail;
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[0].path, "PG_VERSION");
  EXPECT_EQ(m->files[0].size, 3u);
  EXPECT_EQ(m->files[0].algorithm, "CRC32C");
  EXPECT_EQ(m->files[1].path, "base/1/odd\xff");
  ASSERT_EQ(m->wal_ranges.size(), 1u);
  EXPECT_EQ(m->wal_ranges[0].timeline, 1u);
  EXPECT_EQ(m->wal_ranges[0].start_lsn, "0/2000028");
  EXPECT_EQ(m->wal_ranges[0].end_lsn, "0/2000100");
}

TEST(ParseManifest, RefusesADamagedManifest) {
  std::string text = MakeManifest({{"PG_VERSION", "15\n", ""}});
  std::string flipped = text;
  flipped[text.find("PG_VERSION")] = 'Q';  // still valid JSON, checksum no longer matches
  auto m = ParseManifest(flipped);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().detail, "manifest checksum mismatch");
  EXPECT_FALSE(ParseManifest(text.substr(0, text.size() - 1)));  // no final newline
  EXPECT_FALSE(ParseManifest(text.substr(0, text.size() / 2)));  // truncated
  EXPECT_FALSE(ParseManifest("{}\n\n"));
  EXPECT_FALSE(ParseManifest("not json\n\n"));
}

// A manifest is three levels deep; a deeper one (crafted to make root build a tree many times
// its size) is refused while it is parsed, checksum or not.
TEST(ParseManifest, RefusesNestingNoManifestHas) {
  std::string text = MakeManifest({{"PG_VERSION", "15\n", ""}});
  std::string deep = "{\"X\": " + std::string(100000, '[') + std::string(100000, ']') + ",\n";
  text.replace(0, 2, deep);
  auto m = ParseManifest(text);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().detail.find("nests deeper"), std::string::npos) << m.error().detail;
}

class VerifyCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("/tmp", "pgreplica-verify-");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    root_ = tmp_->path() + "/data";
    fs::create_directories(root_ + "/base/1");
    fs::create_directories(root_ + "/pg_wal");
    fs::create_directories(root_ + "/pg_tblspc");
    // pg_basebackup lists postgresql.auto.conf, then -R changes it: neither its absence nor
    // its contents count.
    files_ = {{"PG_VERSION", "15\n", ""},
              {"postgresql.auto.conf", "# as on the primary\n", ""},
              {"global/pg_control", std::string(8192, 'c'), ""},
              {"base/1/1259", std::string(3 << 20, 'r') + "tail", ""}};
    fs::create_directories(root_ + "/global");
    for (const auto& [path, contents, sum] : files_) Write(path, contents);
    // Never compared with the manifest (pg_verifybackup's exceptions).
    Write("pg_wal/000000010000000000000002", "wal");
    Write("postgresql.auto.conf", "primary_conninfo = 'x'\n");
    Write("standby.signal", "");
  }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ + "/" + rel, std::ios::binary) << text;
  }
  void WriteManifest() { Write("backup_manifest", MakeManifest(files_)); }
  // The problems found, or the error.
  std::vector<std::string> Problems(unsigned threads = 2) {
    auto dir = Dir::Open(root_);
    EXPECT_TRUE(dir);
    if (!dir) return {"cannot open"};
    auto m = ReadManifest(*dir);
    if (!m) return {m.error().message + ": " + m.error().detail};
    VerifyTarget target{.data = &*dir, .threads = threads};
    std::optional<Dir> ts;
    if (!tablespace_.empty()) {
      auto d = Dir::Open(tablespace_);
      EXPECT_TRUE(d);
      ts.emplace(std::move(*d));
      target.tablespaces["16384"] = &*ts;
    }
    auto r = VerifyCopy(target, *m);
    if (!r) return {"error: " + r.error().message};
    return r->problems;
  }
  std::optional<TempDir> tmp_;
  std::string root_;
  std::string tablespace_;
  std::vector<std::tuple<std::string, std::string, std::string>> files_;
};

// A chain of directories far deeper than a base backup (planted to exhaust the stack or the
// descriptors of root's walk) is a problem, and the walk stops going down it.
TEST_F(VerifyCopyTest, ADeepDirectoryChainIsAProblemNotACrash) {
  WriteManifest();
  std::string p = root_ + "/base/1";
  for (int i = 0; i < 200; ++i) p += "/d";
  fs::create_directories(p);
  auto problems = Problems(2);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("nested more than 32 directories deep"), std::string::npos)
      << problems[0];
}

TEST_F(VerifyCopyTest, AnIntactCopyPasses) {
  WriteManifest();
  EXPECT_EQ(Problems(1), std::vector<std::string>{});
  EXPECT_EQ(Problems(4), std::vector<std::string>{});
}

TEST_F(VerifyCopyTest, EveryShaAlgorithmIsChecked) {
  for (const char* algorithm : {"SHA224", "SHA256", "SHA384", "SHA512"}) {
    Write("backup_manifest", MakeManifest(files_, algorithm));
    EXPECT_EQ(Problems(), std::vector<std::string>{}) << algorithm;
    std::get<1>(files_[0]) = "14\n";  // the manifest lists other contents of the same size
    Write("backup_manifest", MakeManifest(files_, algorithm));
    EXPECT_EQ(Problems(), std::vector<std::string>{"checksum mismatch for file \"PG_VERSION\""})
        << algorithm;
    std::get<1>(files_[0]) = "15\n";
  }
}

TEST_F(VerifyCopyTest, AFlippedByteIsAChecksumMismatch) {
  WriteManifest();
  std::fstream f(root_ + "/base/1/1259", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(2 << 20);
  f.put('X');
  f.close();
  EXPECT_EQ(Problems(), std::vector<std::string>{"checksum mismatch for file \"base/1/1259\""});
}

TEST_F(VerifyCopyTest, TruncatedMissingAndExtraFilesAreReported) {
  WriteManifest();
  fs::resize_file(root_ + "/global/pg_control", 4096);
  fs::remove(root_ + "/PG_VERSION");
  Write("base/1/99999", "planted");
  Write("backup_label.old", "x");
  auto p = Problems();
  std::sort(p.begin(), p.end());
  EXPECT_EQ(p, (std::vector<std::string>{
                   "\"PG_VERSION\" is present in the manifest but not on disk",
                   "\"backup_label.old\" is present on disk but not in the manifest",
                   "\"base/1/99999\" is present on disk but not in the manifest",
                   "\"global/pg_control\" has size 4096 on disk but size 8192 in the manifest"}));
}

TEST_F(VerifyCopyTest, ExceptionsCountOnlyAtTheTopLevel) {
  WriteManifest();
  Write("base/1/standby.signal", "");
  fs::remove(root_ + "/postgresql.auto.conf");  // listed, but an exception: not missing
  EXPECT_EQ(Problems(),
            std::vector<std::string>{
                "\"base/1/standby.signal\" is present on disk but not in the manifest"});
}

TEST_F(VerifyCopyTest, ADamagedOrMissingManifestFails) {
  WriteManifest();
  std::string text = MakeManifest(files_);
  text[text.find("pg_control")] = 'P';
  Write("backup_manifest", text);
  EXPECT_EQ(Problems(), std::vector<std::string>{
                            "could not parse backup manifest: manifest checksum mismatch"});
  fs::remove(root_ + "/backup_manifest");
  auto p = Problems();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("could not read backup manifest", 0), 0u) << p[0];
}

TEST_F(VerifyCopyTest, ALinkIsNeverFollowedUnlessItIsTheStagedTablespace) {
  std::string elsewhere = tmp_->path() + "/elsewhere";
  fs::create_directories(elsewhere + "/PG_15_202209061");
  std::ofstream(elsewhere + "/PG_15_202209061/16385") << "tablespace data";
  files_.push_back({"pg_tblspc/16384/PG_15_202209061/16385", "tablespace data", ""});
  WriteManifest();
  fs::create_symlink(elsewhere, root_ + "/pg_tblspc/16384");
  // Without the staged tablespace named for oid 16384 the link is not followed.
  auto p = Problems();
  std::sort(p.begin(), p.end());
  EXPECT_EQ(p, (std::vector<std::string>{
                   "\"pg_tblspc/16384\" is not a file or directory",
                   "\"pg_tblspc/16384/PG_15_202209061/16385\" is present in the manifest but not "
                   "on disk"}));
  tablespace_ = elsewhere;
  EXPECT_EQ(Problems(), std::vector<std::string>{});
  // A link to another directory than the staged one is refused.
  std::string other = tmp_->path() + "/other";
  fs::create_directories(other);
  tablespace_ = other;
  p = Problems();
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p[0].find("not at the staged tablespace"), std::string::npos) << p[0];
  // Any other link is neither a file nor a directory.
  tablespace_.clear();
  fs::remove(root_ + "/pg_tblspc/16384");
  files_.pop_back();
  WriteManifest();
  fs::create_symlink("/etc/passwd", root_ + "/base/1/link");
  EXPECT_EQ(Problems(), std::vector<std::string>{"\"base/1/link\" is not a file or directory"});
}

TEST(WalDumpArgv, IsPgVerifybackupsCommand) {
  EXPECT_EQ(WalDumpArgv("/usr/lib/postgresql/15/bin", "/d/pg_wal", {1, "0/2000028", "0/2000100"}),
            (std::vector<std::string>{"/usr/lib/postgresql/15/bin/pg_waldump", "--quiet",
                                      "--path=/d/pg_wal", "--timeline=1", "--start=0/2000028",
                                      "--end=0/2000100"}));
}

}  // namespace
}  // namespace pgreplica::replica
