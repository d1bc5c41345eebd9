// pgreplica: main only dispatches to a command and turns errors into exit codes.

#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/guard.h"
#include "monitor/check.h"
#include "version.h"

using pgreplica::Error;
using pgreplica::ErrorKind;
using pgreplica::cli::ExitStyle;

namespace {

int Dispatch(int argc, char** argv, ExitStyle style) {
  CLI::App app{"pgreplica: safe and boring PostgreSQL hot standbys", "pgreplica"};
  app.set_version_flag("-V,--version", std::string("pgreplica ") + pgreplica::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Run \"pgreplica COMMAND --help\" for the options of a command.\n"
      "Exit codes are listed in docs/exit-codes.md.");
  pgreplica::cli::Runner runner;
  pgreplica::cli::AddDoctorCommand(app, runner);
  pgreplica::cli::AddPrimaryCommand(app, runner);
  pgreplica::cli::AddPgpassCommand(app, runner);
  pgreplica::cli::AddCloneCommand(app, runner, std::vector<std::string>(argv, argv + argc));
  pgreplica::cli::AddJobsCommand(app, runner);
  pgreplica::cli::AddStatusCommand(app, runner);
  pgreplica::cli::AddCheckCommand(app, runner);
  pgreplica::cli::AddDecommissionCommand(app, runner);
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
