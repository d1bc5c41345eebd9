// pgreplica doctor: is this host ready for pgreplica?

#include <memory>

#include "cli/commands.h"
#include "doctor/doctor.h"

namespace pgreplica::cli {

namespace {

struct DoctorOptions {
  CommonOptions common;
};

Result<int> DoctorCommand(const DoctorOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  std::optional<Error> config_error;
  if (!config) {
    // A bad override on the command line is a usage error, not a finding.
    if (config.error().kind == ErrorKind::kUsage) return std::unexpected(config.error());
    config_error = config.error();
  }
  CheckReport report = replica::RunDoctor(config ? *config : conf::Config{}, config_error);
  printer.Report(report, "pgreplica doctor");
  return report.ok() ? kExitOk : ExitCode(ErrorKind::kCheckFailed);
}

}  // namespace

void AddDoctorCommand(CLI::App& app, Runner& runner) {
  auto o = std::make_shared<DoctorOptions>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "check this host: PostgreSQL programs and versions, OS user, permissions, config");
  AddCommonOptions(cmd, o->common);
  BindRunner(cmd, o, runner, &DoctorCommand);
}

}  // namespace pgreplica::cli
