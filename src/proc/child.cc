#include "proc/child.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace pgreplica::proc {

namespace {

constexpr size_t kTailLines = 40;

// Builds the child's environment: ours, minus secrets and unset names, plus spec.env.
std::vector<std::string> BuildEnv(const ChildSpec& spec) {
  std::vector<std::string> out;
  auto removed = [&](std::string_view entry) {
    auto eq = entry.find('=');
    std::string_view name = entry.substr(0, eq);
    if (name == "PGPASSWORD") return true;
    for (const auto& u : spec.env_unset)
      if (name == u) return true;
    for (const auto& [k, v] : spec.env)
      if (name == k) return true;
    if (spec.run_as && (name == "HOME" || name == "USER" || name == "LOGNAME")) return true;
    return false;
  };
  for (char** e = environ; e && *e; ++e) {
    if (!removed(*e)) out.emplace_back(*e);
  }
  if (spec.run_as) {
    out.push_back("HOME=" + spec.run_as->home);
    out.push_back("USER=" + spec.run_as->name);
    out.push_back("LOGNAME=" + spec.run_as->name);
  }
  for (const auto& [k, v] : spec.env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child after fork: report errno through the CLOEXEC pipe and exit.
[[noreturn]] void ChildFail(int fd, int stage) {
  int payload[2] = {stage, errno};
  ssize_t ignored = write(fd, payload, sizeof payload);
  (void)ignored;
  _exit(127);
}

constexpr const char* kStageNames[] = {"set up the process group", "switch user",
                                       "change directory", "redirect output",
                                       "execute the program"};

// The descriptors a child is started with: its output (a pipe, or output_file opened for
// appending) and the CLOEXEC pipe that reports a failure before exec.
struct ChildFds {
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int out_file = -1;
};

// Opens the descriptors of `fds`; on failure, closes what it opened.
Status OpenChildFds(const ChildSpec& spec, bool switch_user, ChildFds& fds) {
  if (spec.output_file.empty() && pipe2(fds.out_pipe, O_CLOEXEC) != 0)
    return std::unexpected(ErrnoError(errno, "could not create a pipe"));
  if (pipe2(fds.err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    if (fds.out_pipe[0] >= 0) close(fds.out_pipe[0]), close(fds.out_pipe[1]);
    return std::unexpected(ErrnoError(e, "could not create a pipe"));
  }
  if (!spec.output_file.empty()) {
    // Never through a link: a planted one would make root append to a file of its choice.
    fds.out_file = open(spec.output_file.c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fds.out_file < 0) {
      int e = errno;
      close(fds.err_pipe[0]), close(fds.err_pipe[1]);
      return std::unexpected(ErrnoError(e, fmt::format("could not open \"{}\"", spec.output_file)));
    }
    if (switch_user && fchown(fds.out_file, spec.run_as->uid, spec.run_as->gid) != 0) {
      // Not fatal: root can still write it on the child's behalf through the fd.
    }
  }
  return {};
}

// In the child after fork: its process group or session, its user, its directory and its
// standard descriptors, then the program. Only async-signal-safe calls.
[[noreturn]] void ExecChild(const ChildSpec& spec, const char* program, char* const* argv,
                            char* const* envp, const ChildFds& fds, bool switch_user,
                            pid_t parent) {
  const int err = fds.err_pipe[1];
  close(fds.err_pipe[0]);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) signal(s, SIG_DFL);
  if (spec.new_session ? setsid() < 0 : setpgid(0, 0) != 0) ChildFail(err, 0);
  if (switch_user) {
    if (setgroups(spec.run_as->groups.size(), spec.run_as->groups.data()) != 0 ||
        setgid(spec.run_as->gid) != 0 || setuid(spec.run_as->uid) != 0)
      ChildFail(err, 1);
  }
  // After the credential change, which would clear it.
  if (spec.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(1);
  }
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) ChildFail(err, 2);
  // O_CLOEXEC: the program gets /dev/null as its standard input, not as one more fd.
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = fds.out_file >= 0 ? fds.out_file : fds.out_pipe[1];
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
    ChildFail(err, 3);
  // dup2 onto the same number keeps FD_CLOEXEC; 0, 1 and 2 must survive exec.
  for (int fd = 0; fd <= 2; ++fd) fcntl(fd, F_SETFD, 0);
  execve(program, argv, envp);
  ChildFail(err, 4);
}

}  // namespace

std::optional<std::string> FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    // An empty element means "." to a shell, and "bin" is relative to the current
    // directory too: pgreplica (often root) never runs a program found through either.
    if (!dir.empty() && dir.front() == '/') {
      std::string candidate(dir);
      candidate.append("/").append(name);
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::string ExitStatus::Describe() const {
  if (timed_out) return "timed out and was stopped";
  if (cancelled) return "was interrupted";
  if (signal != 0)
    return fmt::format("was terminated by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exited with code {}", code);
}

Result<Child> Child::Start(const ChildSpec& spec) {
  if (spec.argv.empty()) return Fail(ErrorKind::kInternal, "empty argv for child process");
  auto program = FindInPath(spec.argv[0]);
  if (!program) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("could not find program \"{}\" in PATH", spec.argv[0]), "",
                "Install it, or set local.bindir to the directory that holds it.");
  }
  if (spec.run_as) {
    if (auto ok = CanActAs(*spec.run_as); !ok) return std::unexpected(ok.error());
  }
  std::vector<std::string> argv_s = spec.argv;
  std::vector<std::string> env_s = BuildEnv(spec);
  auto argv = CStrings(argv_s);
  auto envp = CStrings(env_s);
  bool switch_user = spec.run_as && geteuid() == 0 && spec.run_as->uid != 0;

  ChildFds fds;
  if (auto ok = OpenChildFds(spec, switch_user, fds); !ok) return std::unexpected(ok.error());
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fds.err_pipe[0]), close(fds.err_pipe[1]);
    if (fds.out_pipe[0] >= 0) close(fds.out_pipe[0]), close(fds.out_pipe[1]);
    if (fds.out_file >= 0) close(fds.out_file);
    return std::unexpected(ErrnoError(e, "could not fork"));
  }
  if (pid == 0)
    ExecChild(spec, program->c_str(), argv.data(), envp.data(), fds, switch_user, parent);
  // Parent. Also set the group here to close the race with an early Signal().
  if (!spec.new_session) setpgid(pid, pid);
  close(fds.err_pipe[1]);
  if (fds.out_pipe[1] >= 0) close(fds.out_pipe[1]);
  if (fds.out_file >= 0) close(fds.out_file);
  int payload[2] = {0, 0};
  ssize_t n;
  do {
    n = read(fds.err_pipe[0], payload, sizeof payload);
  } while (n < 0 && errno == EINTR);
  close(fds.err_pipe[0]);
  Child child;
  child.pid_ = pid;
  child.pgid_ = spec.new_session ? -1 : pid;
  child.out_fd_ = fds.out_pipe[0];
  if (n == static_cast<ssize_t>(sizeof payload)) {
    int status;
    waitpid(pid, &status, 0);
    child.pid_ = -1;
    int stage = payload[0] >= 0 && payload[0] <= 4 ? payload[0] : 4;
    Error e = ErrnoError(payload[1],
                         fmt::format("could not {} for \"{}\"", kStageNames[stage], spec.argv[0]));
    if (stage == 4 || stage == 1) e.kind = ErrorKind::kEnvironment;
    return std::unexpected(e);
  }
  return child;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    pgid_ = std::exchange(other.pgid_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    partial_ = std::move(other.partial_);
    tail_ = std::move(other.tail_);
  }
  return *this;
}

Child::~Child() { KillAndReap(); }

void Child::KillAndReap() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
}

void Child::KillGroup() {
  if (pgid_ > 0) kill(-pgid_, SIGKILL);
}

void Child::Release() {
  pid_ = -1;
  pgid_ = -1;
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
}

bool Child::Poll() {
  if (pid_ > 0) {
    ExitStatus ignored;
    Reap(ignored, WNOHANG);
  }
  return running();
}

void Child::Signal(int sig) const {
  if (pid_ > 0) {
    if (kill(-pid_, sig) != 0) kill(pid_, sig);
  }
}

std::string Child::TailText() const {
  std::string out;
  for (const auto& l : tail_) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

void Child::ReadAvailable(const WaitOptions& options, bool final_flush) {
  auto emit = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (options.on_line) options.on_line(line);
    tail_.push_back(std::move(line));
    if (tail_.size() > kTailLines) tail_.erase(tail_.begin());
  };
  if (out_fd_ >= 0) {
    char buf[8192];
    while (true) {
      ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n > 0) {
        partial_.append(buf, static_cast<size_t>(n));
        size_t pos;
        // pg_basebackup's progress uses \r to redraw: treat it as a line end too.
        while ((pos = partial_.find_first_of("\n\r")) != std::string::npos) {
          std::string line = partial_.substr(0, pos);
          partial_.erase(0, pos + 1);
          if (!line.empty()) emit(std::move(line));
        }
        continue;
      }
      if (n == 0) {
        close(out_fd_);
        out_fd_ = -1;
      }
      break;  // EAGAIN or EOF or error
    }
  }
  if (final_flush && !partial_.empty()) emit(std::exchange(partial_, {}));
}

void Child::Reap(ExitStatus& status, int wait_flags) {
  int st = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &st, wait_flags);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    if (WIFEXITED(st)) status.code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) status.signal = WTERMSIG(st);
    pid_ = -1;
  }
}

ExitStatus Child::Wait(const WaitOptions& options) {
  ExitStatus status;
  if (pid_ <= 0) return status;
  if (out_fd_ >= 0) fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> stop_sent;
  while (pid_ > 0) {
    if (out_fd_ >= 0) {
      pollfd p{out_fd_, POLLIN, 0};
      poll(&p, 1, 100);
      ReadAvailable(options, false);
    } else {
      usleep(50 * 1000);
    }
    Reap(status, WNOHANG);
    if (pid_ <= 0) break;
    auto now = std::chrono::steady_clock::now();
    if (!stop_sent) {
      if (options.timeout && now - start > *options.timeout) status.timed_out = true;
      if (options.cancel && options.cancel()) status.cancelled = true;
      if (status.timed_out || status.cancelled) {
        Signal(SIGTERM);
        stop_sent = now;
      }
    } else if (now - *stop_sent > options.grace) {
      Signal(SIGKILL);
    }
  }
  // The program may have left descendants holding the pipe; read what is there.
  ReadAvailable(options, true);
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
  return status;
}

Result<RunResult> Run(const ChildSpec& spec, const WaitOptions& options) {
  auto child = Child::Start(spec);
  if (!child) return std::unexpected(child.error());
  RunResult result;
  WaitOptions opts = options;
  opts.on_line = [&](const std::string& line) {
    result.output += line;
    result.output += '\n';
    if (options.on_line) options.on_line(line);
  };
  result.status = child->Wait(opts);
  return result;
}

}  // namespace pgreplica::proc
