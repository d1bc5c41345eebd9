#include "replica/swap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "common/fs.h"
#include "replica/datadir.h"
#include "replica/jobs.h"

namespace pgreplica::replica {

namespace {

Status Rename(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not rename \"{}\" to \"{}\"", from, to)));
  return {};
}

// Puts the old data directory back after a failed start of the new one.
Error RollBack(const SwapInputs& in, Service& service, const SwapOutcome& out, const Error& why) {
  (void)service.Stop();
  std::string failed = in.data_directory + ".failed-" + UtcStamp();
  Error e = why;
  if (int pid = WaitForNoPostmaster(in.data_directory, in.stop_grace); pid != 0) {
    // The start reported failure, yet the new copy runs: moving it would leave it serving from
    // a renamed directory, and the old server could not take its port.
    e.detail += fmt::format(
        " Yet a server (pid {}) runs in \"{}\" and the service did not stop it, so the new copy "
        "was left in place{}.",
        pid, in.data_directory,
        out.old_directory.empty() ? ""
                                  : fmt::format("; the old data is in \"{}\"", out.old_directory));
    e.hint = "Find out what started that server; stop it before moving any directory by hand.";
    return e;
  }
  if (!Rename(in.data_directory, failed)) {
    e.detail +=
        fmt::format(" The new copy could not be moved aside, and the old data is still in \"{}\".",
                    out.old_directory);
    e.hint = fmt::format("Move \"{}\" away and rename \"{}\" to \"{}\" by hand.", in.data_directory,
                         out.old_directory, in.data_directory);
    return e;
  }
  if (out.old_directory.empty()) {
    e.detail += fmt::format(
        " There was no previous data directory; the new copy is kept in \"{}\".", failed);
    return e;
  }
  if (auto ok = Rename(out.old_directory, in.data_directory); !ok) {
    e.detail +=
        fmt::format(" The old data directory could not be put back: {}", ok.error().message);
    e.hint = fmt::format("Rename \"{}\" to \"{}\" by hand.", out.old_directory, in.data_directory);
    return e;
  }
  std::string restarted;
  if (out.was_running) {
    auto started = service.Start();
    restarted =
        started ? " and started again" : " but did not start again: " + started.error().message;
  }
  e.detail += fmt::format(" The old data directory was put back{}; the new copy is kept in \"{}\".",
                          restarted, failed);
  return e;
}

}  // namespace

Result<SwapOutcome> SwapIn(const SwapInputs& in, Service& service) {
  SwapOutcome out;
  auto t0 = std::chrono::steady_clock::now();
  if (in.replace_existing) {
    auto running = service.IsRunning();
    if (!running) return std::unexpected(running.error());
    out.was_running = *running;
    if (out.was_running) {
      if (auto ok = service.Stop(); !ok)
        return std::unexpected(ok.error().Context("could not stop the old standby"));
    }
    // Whatever the service says, no server may run in the directory that is moved away.
    if (int pid = WaitForNoPostmaster(in.data_directory, in.stop_grace); pid != 0) {
      return Fail(ErrorKind::kChildFailed, "could not stop the old standby",
                  fmt::format("A server (pid {}) still runs in \"{}\" after {} {}. Nothing was "
                              "moved.",
                              pid, in.data_directory, service.Describe(),
                              out.was_running ? "stopped it" : "said it was not running"),
                  "Set local.service to what starts and stops this server.");
    }
    if (auto ok = Rename(in.data_directory, in.old_directory); !ok) {
      if (out.was_running) (void)service.Start();
      return std::unexpected(ok.error());
    }
    out.old_directory = in.old_directory;
  } else {
    // An empty directory may be there; rename() replaces an empty one.
    (void)RemoveTree(in.data_directory);
  }
  if (auto ok = Rename(in.staging, in.data_directory); !ok) {
    if (!out.old_directory.empty() && Rename(out.old_directory, in.data_directory) &&
        out.was_running)
      (void)service.Start();
    return std::unexpected(ok.error());
  }
  if (chmod(in.data_directory.c_str(), 0700) != 0 ||
      (geteuid() == 0 && chown(in.data_directory.c_str(), in.os_user.uid, in.os_user.gid) != 0)) {
    return std::unexpected(
        RollBack(in, service, out, ErrnoError(errno, "could not set the data directory's mode")));
  }
  if (auto ok = service.Start(); !ok) {
    return std::unexpected(
        RollBack(in, service, out, ok.error().Context("the new standby did not start")));
  }
  out.downtime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace pgreplica::replica
