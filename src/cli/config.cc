// pgreplica config check: is this configuration file one pgreplica can work with? Usable as
// Salt's check_cmd (the candidate file's path comes last), so that a file pgreplica would
// reject never replaces a working one.

#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/text.h"
#include "doctor/config_check.h"

namespace pgreplica::cli {

namespace {

struct ConfigCheckOptions {
  CommonOptions common;
  std::string file;         // the positional FILE; else --config, else the default path
  bool local_only = false;  // a host that watches only its local standby: no primary needed
};

// The file checked: FILE, else --config, else the default path (which must then exist: a
// check of the built-in defaults would check nothing).
std::string FileToCheck(const ConfigCheckOptions& o) {
  if (!o.file.empty()) return o.file;
  if (!o.common.config_path.empty()) return o.common.config_path;
  return conf::kDefaultConfigPath;
}

Result<int> RunConfigCheck(const ConfigCheckOptions& o, const Printer& printer) {
  CommonOptions common = o.common;
  common.config_path = FileToCheck(o);
  // Exactly what every command loads: the file, --set, the thresholds judged together.
  auto config = LoadEffectiveConfig(common);
  replica::ConfigJudgement judgement;
  if (config)
    judgement = replica::JudgeConfig(*config, o.local_only);
  else if (config.error().kind == ErrorKind::kUsage)
    return std::unexpected(config.error());  // a bad --set is the command line's fault
  else
    judgement.error = config.error();
  int code = judgement.error ? ExitCode(judgement.error->kind) : kExitOk;
  if (printer.json()) {
    nlohmann::json doc = {{"file", common.config_path},
                          {"valid", judgement.valid()},
                          {"ok", judgement.valid()},
                          {"exit_code", code},
                          {"warnings", judgement.warnings}};
    if (judgement.error) doc["error"] = ErrorJson(*judgement.error);
    // The settings that were read, even when they were judged unusable; none when the file
    // could not be read or parsed. Paths of password files, never a password.
    doc["settings"] = config ? conf::EffectiveSettings(*config) : nlohmann::json();
    printer.Json(doc);
    return code;
  }
  if (judgement.error) return std::unexpected(*judgement.error);
  printer.Line(fmt::format("configuration file \"{}\" is valid", Printable(common.config_path)));
  if (config->primary.host.empty())
    printer.Line("  primary          (none: the local standby only)");
  else
    printer.Line(fmt::format("  primary          \"{}\" port {}", Printable(config->primary.host),
                             config->primary.port));
  printer.Line(fmt::format("  data directory   {}",
                           config->local.data_directory.empty()
                               ? std::string("(not set)")
                               : "\"" + Printable(config->local.data_directory) + "\""));
  printer.Line(fmt::format("  service          {}", config->local.service.type));
  for (const auto& w : judgement.warnings) printer.Line("  warning: " + Printable(w));
  return kExitOk;
}

}  // namespace

void AddConfigCommand(CLI::App& app, Runner& runner) {
  CLI::App* group = app.add_subcommand("config", "check a configuration file before it is used");
  group->require_subcommand(1);

  auto o = std::make_shared<ConfigCheckOptions>();
  CLI::App* check = group->add_subcommand(
      "check",
      "load a configuration file as every command does and judge whether a standby can "
      "work with it (exit 0 when it can)");
  CLI::Option* file = check
                          ->add_option("file", o->file,
                                       fmt::format("the file to check (default: --config, else {})",
                                                   conf::kDefaultConfigPath))
                          ->type_name("FILE")
                          ->check(NonEmpty());
  check->add_flag("--local-only", o->local_only,
                  "the file of a host that watches only its local standby (status and check "
                  "--local-only): no primary needed");
  AddCommonOptions(check, o->common);
  ExcludeEachOther(check, file, {"--config"});
  check->footer(
      "Exit code 0 when the file is valid; else the exit code of the error (docs/exit-codes.md): "
      "3 not YAML, 4 invalid (no primary), 5 not readable, 6 untrusted custom commands as root.");
  BindRunner(check, o, runner, &RunConfigCheck);
}

}  // namespace pgreplica::cli
