#pragma once
// The fixture of the clone integration tests: a real primary, a configuration
// for a standby of it in the workspace, and the checks the clone promises
// (old data directory untouched, no staging left, the old standby starts and
// streams again).

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/cli.h"
#include "support/cluster.h"
#include "support/snapshot.h"
#include "support/wait.h"

namespace pgreplica::testing {

class CloneFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Cluster::Create(ws_, {});
    ASSERT_TRUE(p) << p.error().message << "\n" << p.error().detail;
    primary_ = std::move(*p);
    ws_.MakeDir("standby");
    data_ = ws_.path() + "/standby/data";
    port_ = FreePort();
    cfg_ =
        WriteConfig(ws_, *primary_,
                    fmt::format("  data_directory: {}\n  port: {}\nclone:\n  confirm_timeout: 60\n",
                                data_, port_));
    standby_ = Cluster::Adopt(ws_, "standby", data_, port_);
    auto r = RunPgreplica(ws_, {"pgpass", "--config", cfg_.path});
    ASSERT_EQ(r.code, 0) << r.output;
  }

  CliResult Clone(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"clone", "--config", cfg_.path};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPgreplica(ws_, args);
  }

  // A clone running in the background, slowed down so that tests can act mid-copy.
  proc::Child StartSlowClone(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {PGREPLICA_BINARY, "clone",      "--config",
                                     cfg_.path,        "--max-rate", "10M"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto c = proc::Child::Start({.argv = argv, .env = {{"NO_COLOR", "1"}}});
    EXPECT_TRUE(c);
    return std::move(*c);
  }

  // Waits until the copy is under way: pg_basebackup runs and has written kMidCopyBytes of the
  // main data directory into staging (the server sends the tablespaces before it). Returns
  // pg_basebackup's pid, or 0 after a failure that says what was missing.
  static constexpr std::uintmax_t kMidCopyBytes = 4u << 20;
  int WaitForCopy() {
    int pid = 0;
    auto under_way = [&] {
      pid = FindProcess({"pg_basebackup", Staging()});
      return pid != 0 && BytesBelow(Staging() + "/base") >= kMidCopyBytes;
    };
    if (auto waited = WaitUntil(under_way, std::chrono::seconds(60),
                                "pg_basebackup to copy 4 MB into " + Staging() + "/base");
        !waited) {
      ADD_FAILURE() << waited.message();
      return 0;
    }
    return pid;
  }
  // The size of the regular files below `dir` (0 when it does not exist).
  static std::uintmax_t BytesBelow(const std::string& dir) {
    std::uintmax_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code gone;  // a file removed meanwhile counts nothing
      if (it->is_regular_file(gone)) {
        std::uintmax_t size = it->file_size(gone);
        if (!gone) total += size;
      }
    }
    return total;
  }

  // A bindir like the real one (links to its programs) whose pg_basebackup runs the real
  // program and then, if it succeeded, runs the shell text `after` as the OS user with $d set
  // to the directory it copied into (its --pgdata= argument): a hostile or damaging step at
  // the moment the copy is complete. `name` names the directory in the workspace.
  std::string BindirWithPgBasebackupThen(const std::string& name, const std::string& after) {
    std::string bin = ws_.MakeDir(name);
    for (const auto& e : std::filesystem::directory_iterator(TestEnv::Get().bindir)) {
      std::string program = e.path().filename().string();
      if (program != "pg_basebackup")
        std::filesystem::create_symlink(e.path(), bin + "/" + program);
    }
    std::string script = fmt::format(
        "#!/bin/sh\n"
        "\"{}/pg_basebackup\" \"$@\" || exit $?\n"
        "d=\n"
        "for a in \"$@\"; do case \"$a\" in --pgdata=*) d=\"${{a#--pgdata=}}\" ;; esac; done\n"
        "[ -n \"$d\" ] || exit 0\n"
        "{}\n",
        TestEnv::Get().bindir, after);
    EXPECT_TRUE(WriteFileAtomic(bin + "/pg_basebackup", script, 0755));
    return bin;
  }

  std::string Staging() const { return data_ + ".pgreplica-staging"; }
  std::string Slots() const {
    auto s = primary_->Scalar(
        "SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), '') FROM "
        "pg_replication_slots");
    return s ? *s : "?" + s.error().message;
  }
  bool StandbyStreams() const {
    return standby_->WaitFor(
        "SELECT pg_is_in_recovery() AND (SELECT status = 'streaming' FROM pg_stat_wal_receiver)",
        60);
  }
  // A first standby, stopped, and a snapshot of its files.
  Snapshot MakeStoppedStandby() {
    auto r = Clone();
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(standby_->Stop());
    std::ofstream(data_ + "/pgreplica-test-marker") << "old standby\n";
    return TakeSnapshot(data_);
  }
  // The promises after a failed clone: old data as it was, no staging, it still starts.
  void ExpectOldStandbyIntact(const Snapshot& before) {
    EXPECT_EQ(DescribeDifference(before, TakeSnapshot(data_)), "");
    EXPECT_FALSE(std::filesystem::exists(Staging())) << "staging left behind";
    auto start =
        standby_->RunTool({"pg_ctl", "start", "-D", data_, "-l", ws_.path() + "/restart.log", "-w",
                           "-o", fmt::format("-p {}", port_)});
    ASSERT_TRUE(start);
    EXPECT_TRUE(start->status.ok()) << start->output;
    EXPECT_TRUE(StandbyStreams());
  }

  // After a test stopped the primary: start it again and check the old standby as above. The
  // primary gets its old port back unless another process took it meanwhile; then the old
  // standby's primary_conninfo points nowhere, so only its files are compared.
  void RestartPrimaryAndExpectOldStandbyIntact(const Snapshot& before) {
    int old_port = primary_->port();
    ASSERT_TRUE(primary_->Start());
    cfg_ = WriteConfig(ws_, *primary_,
                       fmt::format("  data_directory: {}\n  port: {}\n", data_, port_));
    ASSERT_EQ(RunPgreplica(ws_, {"pgpass", "--config", cfg_.path}).code, 0);
    if (primary_->port() == old_port) {
      ExpectOldStandbyIntact(before);
    } else {
      EXPECT_EQ(DescribeDifference(before, TakeSnapshot(data_)), "");
      EXPECT_FALSE(std::filesystem::exists(Staging())) << "staging left behind";
    }
  }

  Workspace ws_;
  std::unique_ptr<Cluster> primary_;
  std::unique_ptr<Cluster> standby_;
  std::string data_;
  int port_ = 0;
  TestConfig cfg_;
};

}  // namespace pgreplica::testing
