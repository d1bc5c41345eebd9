// pgreplica: main only dispatches to a command and turns errors into exit codes.

#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/app.h"
#include "cli/guard.h"
#include "monitor/check.h"

using pgreplica::Error;
using pgreplica::ErrorKind;
using pgreplica::cli::ExitStyle;

namespace {

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
    std::string what = e.what();
    if (style == ExitStyle::kNagios) {
      // A Nagios plugin's usage error is UNKNOWN (3), not CRITICAL (2).
      std::cout << pgreplica::monitor::UnknownLine("invalid command line: " + what) << std::endl;
      return static_cast<int>(pgreplica::monitor::State::kUnknown);
    }
    Error err{ErrorKind::kUsage, "invalid command line", what + (what.ends_with('.') ? "" : "."),
              "Run \"pgreplica --help\" or \"pgreplica COMMAND --help\" for the options."};
    pgreplica::cli::PrintPlainError(err);
    return pgreplica::ExitCode(ErrorKind::kUsage);
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
  ExitStyle style = pgreplica::cli::StyleFor(argc, argv);
  return pgreplica::cli::RunGuarded(style, [&] { return Dispatch(argc, argv, style); });
}
