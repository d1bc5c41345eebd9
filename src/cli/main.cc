// pgreplica: main only dispatches to a command and turns errors into exit codes.

#include <CLI/CLI.hpp>

#include <signal.h>

#include <iostream>

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
  ExitStyle style = pgreplica::cli::StyleFor(argc, argv);
  return pgreplica::cli::RunGuarded(style, [&] { return Dispatch(argc, argv, style); });
}
