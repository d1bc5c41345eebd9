#include "cli/app.h"

#include "cli/commands.h"
#include "version.h"

namespace pgreplica::cli {

void BuildApp(CLI::App& app, Runner& runner, const std::vector<std::string>& argv) {
  app.set_version_flag("-V,--version", std::string("pgreplica ") + pgreplica::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Run \"pgreplica COMMAND --help\" for the options of a command.\n"
      "Exit codes are listed in docs/exit-codes.md.");
  AddDoctorCommand(app, runner);
  AddPrimaryCommand(app, runner);
  AddPgpassCommand(app, runner);
  AddCloneCommand(app, runner, argv);
  AddJobsCommand(app, runner);
  AddStatusCommand(app, runner);
  AddCheckCommand(app, runner);
  AddDecommissionCommand(app, runner);
}

}  // namespace pgreplica::cli
