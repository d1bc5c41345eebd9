// Verification of the copy against real PostgreSQL: each kind of corruption, made right after
// pg_basebackup wrote the copy, stops the clone before the swap with the old standby untouched,
// with the built-in verifier and with pg_verifybackup; and the two verifiers agree on a copy
// made by pg_basebackup, intact and corrupted each way.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "clone/verify.h"
#include "common/dirfd.h"
#include "proc/child.h"
#include "support/cli.h"
#include "support/clone_fixture.h"
#include "support/cluster.h"
#include "support/snapshot.h"

namespace pgreplica::testing {
namespace {

namespace fs = std::filesystem;

struct Corruption {
  const char* name;
  const char* shell;  // run as the OS user with $d set to the copy
};

// A relation file of the copy with more than two pages; the same one on every run.
#define PICK                                                                                     \
  "f=$(find \"$d/base\" -type f -size +16k | LC_ALL=C sort | head -n 1); [ -n \"$f\" ] || exit " \
  "9; "

const Corruption kCorruptions[] = {
    {"FlippedByte",
     PICK "python3 -c 'import sys; f = open(sys.argv[1], \"r+b\"); f.seek(8200); b = f.read(1); "
          "f.seek(8200); f.write(bytes([b[0] ^ 0x01]))' \"$f\""},
    {"TruncatedFile", PICK "truncate -s -1 \"$f\""},
    {"MissingFile", PICK "rm \"$f\""},
    {"ExtraFile", "echo planted > \"$d/global/99999\""},
    {"DamagedManifest", "sed -i '0,/\"PG_VERSION\"/s//\"PG_VERSIOX\"/' \"$d/backup_manifest\""},
    {"MissingWal", "rm \"$d\"/pg_wal/0000000*"},
};

// Runs `shell` as the OS user with $d set to `dir`.
void Corrupt(const Corruption& c, const std::string& dir) {
  auto r = proc::Run({.argv = {"/bin/sh", "-c", std::string("set -e; ") + c.shell, "sh"},
                      .env = {{"d", dir}},
                      .run_as = TestEnv::Get().os_user,
                      .cwd = "/"});
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->status.ok()) << c.name << ": " << r->output;
}

struct Case {
  Corruption corruption;
  std::string verifier;
};

class VerifyCorruptionTest : public CloneFixture, public ::testing::WithParamInterface<Case> {
 protected:
  // pg_basebackup that then corrupts the copy it wrote with `c` (set -e: a corruption that
  // cannot be made fails the copy instead of passing unnoticed).
  std::string CorruptingBindir(const Corruption& c) {
    return BindirWithPgBasebackupThen("corrupting-bin", std::string("set -e\n") + c.shell);
  }
};

TEST_P(VerifyCorruptionTest, StopsTheCloneBeforeTheSwap) {
  const Case& c = GetParam();
  Snapshot before = MakeStoppedStandby();
  std::string bin = CorruptingBindir(c.corruption);
  auto r = Clone({"--bindir", bin, "--set", "clone.verify=" + c.verifier, "--output", "json"});
  EXPECT_EQ(r.code, 11) << r.output;
  auto j = r.Json();
  EXPECT_EQ(j["error"]["message"], "the copy failed verification against its backup manifest")
      << r.output;
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) steps.push_back(s["name"]);
  EXPECT_EQ(steps, (std::vector<std::string>{"lock", "preflight", "slot", "copy", "verify"}))
      << r.output;
  EXPECT_EQ(j["steps"].back()["status"], "failed");
  ExpectOldStandbyIntact(before);
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (const auto& c : kCorruptions)
    for (const char* v : {"builtin", "pg_verifybackup"}) out.push_back({c, v});
  return out;
}

INSTANTIATE_TEST_SUITE_P(BothVerifiers, VerifyCorruptionTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.corruption.name) + "_" +
                                  (info.param.verifier == "builtin" ? "Builtin" : "PgVerifybackup");
                         });

class VerifiersAgreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Cluster::Create(ws_, {});
    ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
    primary_ = std::move(*p);
    ASSERT_TRUE(primary_->PgbenchInit(1));
  }
  // A plain copy of the primary as pg_basebackup writes it for a clone.
  std::string Backup(const std::string& name) {
    std::string dir = ws_.path() + "/" + name;
    auto r = primary_->RunTool({"pg_basebackup", "-h", "127.0.0.1", "-p",
                                std::to_string(primary_->port()), "-U", Cluster::kSuperuser,
                                "--checkpoint=fast", "--wal-method=stream", "-R", "-D", dir});
    EXPECT_TRUE(r && r->status.ok()) << (r ? r->output : r.error().message);
    return dir;
  }
  // pg_verifybackup's verdict, and its output.
  std::pair<bool, std::string> PgVerifybackup(const std::string& dir) {
    auto r = primary_->RunTool({"pg_verifybackup", dir});
    EXPECT_TRUE(r);
    if (!r) return {false, r.error().message};
    return {r->status.ok(), r->output};
  }
  // The built-in verifier's verdict, and its problems.
  std::pair<bool, std::string> Builtin(const std::string& dir) {
    auto d = Dir::Open(dir);
    EXPECT_TRUE(d) << d.error().message;
    if (!d) return {false, ""};
    auto report = replica::VerifyBackup({.data = &*d}, {.bindir = TestEnv::Get().bindir,
                                                        .wal_dir = dir + "/pg_wal",
                                                        .run_as = TestEnv::Get().os_user});
    EXPECT_TRUE(report) << report.error().message;
    if (!report) return {false, ""};
    std::string text;
    for (const auto& p : report->problems) text += p + "\n";
    return {report->ok(), text};
  }
  Workspace ws_;
  std::unique_ptr<Cluster> primary_;
};

TEST_F(VerifiersAgreeTest, OnAnIntactCopyAndOnEveryCorruption) {
  std::string intact = Backup("intact");
  auto [pg_ok, pg_out] = PgVerifybackup(intact);
  auto [our_ok, our_out] = Builtin(intact);
  EXPECT_TRUE(pg_ok) << pg_out;
  EXPECT_TRUE(our_ok) << our_out;
  for (const auto& c : kCorruptions) {
    std::string dir = Backup(std::string("copy-") + c.name);
    Corrupt(c, dir);
    auto [pg_passes, pg_text] = PgVerifybackup(dir);
    auto [our_passes, our_text] = Builtin(dir);
    EXPECT_FALSE(pg_passes) << c.name << ": pg_verifybackup accepted it:\n" << pg_text;
    EXPECT_EQ(our_passes, pg_passes) << c.name << "\npg_verifybackup:\n"
                                     << pg_text << "built-in:\n"
                                     << our_text;
    // Shown, not compared: the wording differs (pg_verifybackup's comes from its C code).
    std::cout << "[ " << c.name << " ] pg_verifybackup: " << pg_text << "[ " << c.name
              << " ] built-in: " << our_text << std::flush;
  }
}

}  // namespace
}  // namespace pgreplica::testing
