#include "cli/app.h"

#include "cli/commands.h"
#include "version.h"

namespace pgreplica::cli {

namespace {

// CLI11's help with one change: an option's line does not list the options it excludes
// ("--inventory FILE Excludes: --host --port ..."), which crowds the line and breaks the
// "NAME TYPE" shape that the man pages and the completion are checked against. Using two
// options that exclude each other is a usage error that names both.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out = CLI::Formatter::make_option_opts(opt);
    if (auto at = out.find(" Excludes:"); at != std::string::npos) out.erase(at);
    return out;
  }
};

}  // namespace

void BuildApp(CLI::App& app, Runner& runner, const std::vector<std::string>& argv) {
  // Set before the commands are added: each command copies the formatter of its parent.
  app.formatter(std::make_shared<HelpFormatter>());
  app.set_version_flag("-V,--version", std::string("pgreplica ") + pgreplica::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Run \"pgreplica COMMAND --help\" for the options of a command.\n"
      "Exit codes are listed in docs/exit-codes.md.");
  AddDoctorCommand(app, runner);
  AddConfigCommand(app, runner);
  AddPrimaryCommand(app, runner);
  AddPgpassCommand(app, runner);
  AddCloneCommand(app, runner, argv);
  AddJobsCommand(app, runner);
  AddStatusCommand(app, runner);
  AddCheckCommand(app, runner);
  AddDecommissionCommand(app, runner);
}

}  // namespace pgreplica::cli
