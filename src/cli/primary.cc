// pgreplica primary check | primary setup: what a primary needs for streaming replication.

#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/text.h"
#include "conf/pgpass.h"
#include "primary/primary.h"
#include "primary/target.h"
#include "proc/user.h"

namespace pgreplica::cli {

namespace {

struct PrimaryOptions {
  CommonOptions common;
  bool password_stdin = false;
  bool reset_password = false;
};

// The replication connection for checks: the password from the secrets file
// or stdin when given, else the OS user's password file.
Result<replica::PrimaryTarget> Target(const conf::Config& c, const std::string& password) {
  replica::PrimaryTarget t;
  t.admin = replica::PrimaryAdminParams(c);
  std::string passfile;
  if (password.empty()) {
    auto user = proc::LookupUser(c.local.os_user);
    if (user) passfile = conf::PgpassPath(c, user->home);
  }
  t.replication = replica::PrimaryReplicationParams(c, password, passfile);
  t.allowed_address = c.replication.allowed_address;
  t.os_user = c.local.os_user;
  if (auto user = proc::LookupUser(c.local.os_user)) t.os_uid = user->uid;
  return t;
}

Result<int> RunCheck(const PrimaryOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  if (auto ok = conf::RequirePrimaryHost(*config); !ok) return std::unexpected(ok.error());
  auto password = ReadReplicationPassword(*config, o.password_stdin);
  if (!password) return std::unexpected(password.error());
  auto target = Target(*config, *password);
  if (!target) return std::unexpected(target.error());
  auto report = replica::CheckPrimary(*target);
  if (!report) return std::unexpected(report.error());
  printer.Report(*report,
                 fmt::format("pgreplica primary check: \"{}\" port {}", config->primary.host,
                             config->primary.port),
                 {{"primary", {{"host", config->primary.host}, {"port", config->primary.port}}}});
  return report->ok() ? kExitOk : ExitCode(ErrorKind::kCheckFailed);
}

// Each action with an honest mark, what happened overall, and the error that stopped setup
// after the actions it had done (or as the whole answer when it did none).
void PrintSetup(const Printer& printer, const conf::Config& config,
                const replica::SetupResult& result) {
  if (printer.json()) {
    nlohmann::json doc = replica::ToJson(result);
    if (result.error) doc["error"] = ErrorJson(*result.error);
    printer.Json(doc);
    return;
  }
  if (result.error && result.actions.empty()) {
    printer.PrintError(*result.error);  // it stopped before doing anything
    return;
  }
  printer.Line(fmt::format("pgreplica primary setup: \"{}\" port {}", config.primary.host,
                           config.primary.port));
  for (const auto& a : result.actions) {
    std::string mark = a.failed    ? printer.out().Paint("FAIL   ", "1;31")
                       : a.pending ? printer.out().Paint("pending", "33")
                       : a.changed ? printer.out().Paint("changed", "33")
                                   : std::string("ok     ");
    printer.Line(fmt::format("  {}  {}", mark, Printable(a.message)));
  }
  if (result.error) {
    printer.Line(result.changed() ? "setup stopped; the changes marked above were made"
                                  : "setup stopped; nothing was changed");
    printer.PrintError(*result.error);
    return;
  }
  if (result.restart_required())
    printer.Line("restart the primary to apply the settings marked above");
  if (result.failed())
    printer.Line(result.changed()
                     ? "not set up: see FAIL above (the changes marked above were made)"
                     : "not set up: see FAIL above (nothing was changed)");
  else if (!result.changed())
    printer.Line("no changes: the primary was already set up");
}

Result<int> RunSetup(const PrimaryOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  if (auto ok = conf::RequirePrimaryHost(*config); !ok) return std::unexpected(ok.error());
  auto password = ReadReplicationPassword(*config, o.password_stdin);
  if (!password) return std::unexpected(password.error());
  if (password->empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no replication password given",
                "primary setup sets the replication role's password.",
                "Set replication.password_file (a file with mode 0600), or pass --password-stdin.");
  }
  auto target = Target(*config, *password);
  if (!target) return std::unexpected(target.error());
  auto result = replica::SetupPrimary(*target, *password, {.reset_password = o.reset_password});
  PrintSetup(printer, *config, result);
  if (result.error) return ExitCode(result.error->kind);
  if ((!result.replication_works && !result.replication_refused_here &&
       !result.restart_required()) ||
      result.failed())
    return ExitCode(ErrorKind::kCheckFailed);
  return kExitOk;
}

}  // namespace

void AddPrimaryCommand(CLI::App& app, Runner& runner) {
  CLI::App* group =
      app.add_subcommand("primary", "verify or prepare a primary for streaming replication");
  group->require_subcommand(1);

  auto check_opts = std::make_shared<PrimaryOptions>();
  CLI::App* check = group->add_subcommand(
      "check", "report each prerequisite of streaming replication on the primary, with the fix");
  AddCommonOptions(check, check_opts->common);
  ExcludeEachOther(check,
                   check->add_flag("--password-stdin", check_opts->password_stdin,
                                   "read the replication password from standard input"),
                   {"--password-file"});
  BindRunner(check, check_opts, runner, &RunCheck);

  auto setup_opts = std::make_shared<PrimaryOptions>();
  CLI::App* setup = group->add_subcommand(
      "setup",
      "idempotently apply settings, the replication role and its pg_hba.conf line, reload");
  AddCommonOptions(setup, setup_opts->common);
  ExcludeEachOther(setup,
                   setup->add_flag("--password-stdin", setup_opts->password_stdin,
                                   "read the replication password from standard input"),
                   {"--password-file"});
  setup->add_flag("--reset-password", setup_opts->reset_password,
                  "replace the password of an existing replication role when it does not match "
                  "(every standby using the role then needs the new one)");
  BindRunner(setup, setup_opts, runner, &RunSetup);
}

}  // namespace pgreplica::cli
