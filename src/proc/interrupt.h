#pragma once
// SIGINT, SIGTERM and SIGHUP handling. While an InterruptGuard lives, those
// signals only set a flag (the one piece of process-wide state pgreplica
// has, because a signal handler can reach nothing else); long operations poll
// Interrupted() and unwind through their RAII owners, which clean up.

namespace pgreplica::proc {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // True once one of the signals arrived (while a guard was alive).
  static bool Interrupted();
  // The signal that arrived, or 0.
  static int Signal();
};

}  // namespace pgreplica::proc
