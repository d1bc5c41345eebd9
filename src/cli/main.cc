// pgreplica: main only dispatches to a command and turns errors into exit codes.

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "cli/guard.h"
#include "cli/parse_error.h"
#include "monitor/check.h"

using pgreplica::Error;
using pgreplica::ErrorKind;
using pgreplica::cli::ExitStyle;

namespace {

// A command-line error, in the format the command line asked for: a JSON
// document with --output json, the Nagios UNKNOWN line for check, else text.
int ParseFailure(const CLI::ParseError& e, int argc, char** argv, ExitStyle style) {
  std::string detail = pgreplica::cli::DescribeParseError(e);
  bool json = pgreplica::cli::AsksForJson(argc, argv);
  pgreplica::cli::CommonOptions options;
  options.output = json ? "json" : "text";
  pgreplica::cli::Printer printer(options);
  if (style == ExitStyle::kNagios) {
    // A Nagios plugin's usage error is UNKNOWN (3), not CRITICAL (2).
    std::string reason = "invalid command line: " + detail;
    if (json) {
      printer.Json({{"state", "UNKNOWN"}, {"exit_code", 3}, {"problems", {reason}}});
    } else {
      std::cout << pgreplica::monitor::UnknownLine(reason) << std::endl;
    }
    return static_cast<int>(pgreplica::monitor::State::kUnknown);
  }
  printer.PrintError({ErrorKind::kUsage, "invalid command line", detail,
                      "Run \"pgreplica --help\" or \"pgreplica COMMAND --help\" for the options."});
  return pgreplica::ExitCode(ErrorKind::kUsage);
}

int Dispatch(int argc, char** argv, ExitStyle style) {
  CLI::App app{pgreplica::cli::kProgramDescription, pgreplica::cli::kProgramName};
  pgreplica::cli::Runner runner;
  pgreplica::cli::BuildApp(app, runner, std::vector<std::string>(argv, argv + argc));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ParseFailure(e, argc, argv, style);
  }
  if (!runner) {
    pgreplica::cli::PrintPlainError(
        {ErrorKind::kUsage, "no command given", "", "Run \"pgreplica --help\"."});
    return pgreplica::ExitCode(ErrorKind::kUsage);
  }
  return runner();
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that goes away (pgreplica clone | head) must not kill a run half way: with
  // SIGPIPE ignored a write to it fails with EPIPE, which the output streams swallow, and the
  // run goes on and cleans up. Children get the default back (proc/child.cc).
  signal(SIGPIPE, SIG_IGN);
  // The copy's watcher and verifier hold a descriptor per directory of the copy, and a primary
  // with a thousand databases has a thousand under base/: the soft limit of open files (1024 in
  // most shells and units) is raised to the hard one, as far as 65536.
  if (struct rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, std::max<rlim_t>(rl.rlim_cur, 65536));
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  ExitStyle style = pgreplica::cli::StyleFor(argc, argv);
  return pgreplica::cli::RunGuarded(style, [&] { return Dispatch(argc, argv, style); });
}
