#include "proc/child.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "support/wait.h"

namespace pgreplica::proc {

namespace {

// Gone, or a zombie waiting for init to reap it.
bool Ended(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  auto close_paren = stat->rfind(')');
  return close_paren != std::string::npos && stat->substr(close_paren + 2, 1) == "Z";
}

::testing::AssertionResult Dead(pid_t pid) {
  return testing::WaitUntil([&] { return Ended(pid); }, std::chrono::seconds(10),
                            "process " + std::to_string(pid) + " to end",
                            std::chrono::milliseconds(20));
}

}  // namespace

TEST(Child, CapturesOutputAndExitCode) {
  auto r = proc::Run({.argv = {"sh", "-c", "echo one; echo two >&2; exit 3"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status.code, 3);
  EXPECT_FALSE(r->status.ok());
  EXPECT_EQ(r->output, "one\ntwo\n");
}

TEST(Child, StreamsLinesToCallback) {
  std::vector<std::string> lines;
  auto r = proc::Run({.argv = {"printf", "a\\rb\\nc"}},
                     {.on_line = [&](const std::string& l) { lines.push_back(l); }});
  ASSERT_TRUE(r);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

// The fd that the child opened for /dev/null leaked into every program pgreplica ran. (Fds
// that this test process itself inherited without FD_CLOEXEC are passed on; they are not ours.)
TEST(Child, OnlyStandardInputIsDevNull) {
  auto r =
      proc::Run({.argv = {"sh", "-c",
                          "for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink \"$f\")\"; done"},
                 .cwd = "/"});
  ASSERT_TRUE(r) << r.error().message;
  std::istringstream in(r->output);
  int fd;
  std::string target;
  bool saw_stdin = false;
  while (in >> fd >> target) {
    if (fd == 0) saw_stdin = target == "/dev/null";
    if (fd <= 2 || target != "/dev/null") continue;
    char ours[256] = {};
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), ours, sizeof ours - 1);
    EXPECT_TRUE(n > 0 && std::string(ours, n) == "/dev/null")
        << "fd " << fd << " leaked into the child:\n"
        << r->output;
  }
  EXPECT_TRUE(saw_stdin) << r->output;
}

// An empty PATH element means "." to a shell; pgreplica, often root, must not run ./program.
TEST(Child, PathIgnoresEmptyAndRelativeElements) {
  auto dir = TempDir::Create("/tmp", "pgreplica-path-");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/pgreplica-probe", "#!/bin/sh\necho owned\n", 0755));
  ASSERT_TRUE(MakeDirs(dir->path() + "/rel", 0755));
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/rel/pgreplica-probe2", "#!/bin/sh\n", 0755));
  char old_cwd[4096];
  ASSERT_NE(getcwd(old_cwd, sizeof old_cwd), nullptr);
  std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ASSERT_EQ(chdir(dir->path().c_str()), 0);
  for (const char* path : {":/usr/bin", "/usr/bin:", "/usr/bin::/bin", "", "rel:/usr/bin"}) {
    setenv("PATH", path, 1);
    EXPECT_FALSE(FindInPath("pgreplica-probe")) << "PATH=" << path;
    EXPECT_FALSE(FindInPath("pgreplica-probe2")) << "PATH=" << path;
    auto started = Child::Start({.argv = {"pgreplica-probe"}});
    EXPECT_FALSE(started) << "PATH=" << path;
  }
  setenv("PATH", ("/usr/bin:" + dir->path()).c_str(), 1);
  EXPECT_EQ(FindInPath("pgreplica-probe"), dir->path() + "/pgreplica-probe");
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_EQ(chdir(old_cwd), 0);
}

TEST(Child, MissingProgramIsAnEnvironmentError) {
  auto r = proc::Run({.argv = {"/nonexistent/program"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kEnvironment);
  auto s = proc::Run({.argv = {"no-such-program-pgreplica"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kEnvironment);
}

TEST(Child, TimeoutKillsTheWholeProcessGroup) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string pidfile = dir->path() + "/grandchild";
  // The grandchild ignores SIGTERM; the group still goes after the grace period.
  auto r = proc::Run(
      {.argv = {"sh", "-c", "trap '' TERM; sleep 30 & echo $! > " + pidfile + "; wait"}},
      {.timeout = std::chrono::milliseconds(300), .grace = std::chrono::milliseconds(300)});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status.timed_out);
  auto text = ReadFile(pidfile);
  ASSERT_TRUE(text);
  pid_t grandchild = std::stoi(*text);
  EXPECT_TRUE(Dead(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST(Child, CancelStopsTheChild) {
  int polls = 0;
  auto r = proc::Run({.argv = {"sleep", "30"}}, {.cancel = [&] { return ++polls > 3; }});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status.cancelled);
  EXPECT_EQ(r->status.signal, SIGTERM);
}

TEST(Child, EnvironmentNeverCarriesPGPASSWORD) {
  setenv("PGPASSWORD", "leak", 1);
  auto r =
      proc::Run({.argv = {"sh", "-c", "echo \"[$PGPASSWORD][$EXTRA]\""}, .env = {{"EXTRA", "x"}}});
  unsetenv("PGPASSWORD");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, "[][x]\n");
}

TEST(Child, DestructorReapsARunningChild) {
  pid_t pid;
  {
    auto c = Child::Start({.argv = {"sleep", "30"}});
    ASSERT_TRUE(c);
    pid = c->pid();
  }
  EXPECT_TRUE(Dead(pid));
}

TEST(Child, OutputFileReceivesOutput) {
  auto dir = TempDir::Create("/tmp", "pgreplica-unit-");
  ASSERT_TRUE(dir);
  std::string log = dir->path() + "/log";
  auto r = proc::Run({.argv = {"sh", "-c", "echo logged"}, .output_file = log});
  ASSERT_TRUE(r);
  EXPECT_EQ(*ReadFile(log), "logged\n");
}

}  // namespace pgreplica::proc
