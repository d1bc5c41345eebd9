#include "proc/interrupt.h"

#include <signal.h>

#include <csignal>

namespace pgreplica::proc {

namespace {
// Written only by the handler; see the header for why this is global.
volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_saved[3];
constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

void Handler(int sig) { g_signal = sig; }
}  // namespace

InterruptGuard::InterruptGuard() {
  struct sigaction sa {};
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and we look at the flag
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_saved[i]);
}

InterruptGuard::~InterruptGuard() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_saved[i], nullptr);
}

bool InterruptGuard::Interrupted() { return g_signal != 0; }
int InterruptGuard::Signal() { return g_signal; }

}  // namespace pgreplica::proc
