#pragma once
// One class owns a child process: its pid, its process group and its output
// pipe. Children get an argv vector, never a shell string. The destructor
// kills the whole process group (if still running) and reaps it.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "proc/user.h"

namespace pgreplica::proc {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up in PATH
  // Variables set (or replaced) in the child's environment. Never a password:
  // PGPASSWORD is always removed from the child's environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> env_unset;
  std::optional<OsUser> run_as;  // switch to this user (requires root unless it is us)
  std::string cwd;               // empty: inherit
  std::string output_file;       // non-empty: stdout+stderr appended here, not captured
  bool die_with_parent = false;  // SIGQUIT the child if this process dies (tests' servers)
  bool new_session = false;      // setsid() instead of a new process group (detached runs)
};

struct ExitStatus {
  int code = -1;   // exit code when exited normally, else -1
  int signal = 0;  // terminating signal, else 0
  bool timed_out = false;
  bool cancelled = false;
  bool ok() const { return code == 0 && signal == 0 && !timed_out && !cancelled; }
  std::string Describe() const;  // "exited with code 1", "was terminated by signal 9 (Killed)"
};

struct WaitOptions {
  std::optional<std::chrono::milliseconds> timeout;
  std::function<void(const std::string&)> on_line;  // each line of output, without newline
  std::function<bool()> cancel;                     // polled; true stops the child
  std::chrono::milliseconds grace{5000};            // SIGTERM..SIGKILL when stopping
};

class Child {
 public:
  // Starts the child. kEnvironment when the program cannot be found or
  // executed, kSystem for other failures of fork/pipe.
  static Result<Child> Start(const ChildSpec& spec);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Reads output until the child exits, the timeout passes or cancel() says
  // so; in the last two cases the process group gets SIGTERM, then SIGKILL
  // after the grace period. Keeps the last lines of output (see tail()).
  ExitStatus Wait(const WaitOptions& options = {});
  // Stops owning the child: it keeps running after this object is gone
  // (detached runs started with new_session).
  void Release();
  // Reaps the child if it has exited, without waiting; returns running().
  bool Poll();
  // SIGKILLs what is left of the child's process group after the child itself
  // exited (programs such as pg_basebackup fork helpers that would otherwise
  // outlive a failed parent).
  void KillGroup();
  // Sends a signal to the child's process group.
  void Signal(int sig) const;
  // Last lines of captured output (at most 40), for error details.
  const std::vector<std::string>& tail() const { return tail_; }
  std::string TailText() const;

 private:
  Child() = default;
  void ReadAvailable(const WaitOptions& options, bool final_flush);
  void Reap(ExitStatus& status, int wait_flags);
  void KillAndReap();

  pid_t pid_ = -1;
  pid_t pgid_ = -1;  // stays set after the child is reaped, for KillGroup()
  int out_fd_ = -1;
  std::string partial_;
  std::vector<std::string> tail_;
};

struct RunResult {
  ExitStatus status;
  std::string output;  // all of stdout+stderr
};

// Runs a child to completion, capturing its output. Only fails when the child
// cannot be started; a non-zero exit is reported in status.
Result<RunResult> Run(const ChildSpec& spec, const WaitOptions& options = {});

// Looks up a program name in PATH (or returns it unchanged when it has a '/').
// Only absolute directories count: an empty element or a relative one (which
// a shell would take relative to the current directory) is skipped.
std::optional<std::string> FindInPath(const std::string& name);

}  // namespace pgreplica::proc
