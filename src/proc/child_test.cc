#include "proc/child.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/fs.h"

namespace pgreplica::proc {

// Gone, or a zombie waiting for init to reap it.
bool Dead(pid_t pid) {
  for (int i = 0; i < 50; ++i) {
    auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    auto close_paren = stat->rfind(')');
    if (close_paren != std::string::npos && stat->substr(close_paren + 2, 1) == "Z") return true;
    usleep(20 * 1000);
  }
  return false;
}

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
