#pragma once
// The last line of defence in main: library code returns errors and never
// throws across a module boundary, but should an exception escape anyway (a
// bug, or std::bad_alloc), the process still ends with one clear message and
// its documented exit code instead of std::terminate's abort (exit 134),
// which skips every destructor and with them the clean-up of RAII guards.

#include <functional>

namespace pgreplica::cli {

// How the exit code and message are shaped: pgreplica's own (internal error,
// exit 70), or the Nagios plugin's (UNKNOWN, exit 3).
enum class ExitStyle { kPgreplica, kNagios };

// Runs `body` and returns its exit code; an escaped exception becomes an
// internal error printed on standard error (kPgreplica) or an UNKNOWN status
// line on standard output (kNagios).
int RunGuarded(ExitStyle style, const std::function<int()>& body);

// The style a command line asks for: kNagios when the command is `check`.
ExitStyle StyleFor(int argc, const char* const* argv);

}  // namespace pgreplica::cli
