#include "cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "common/text.h"
#include "conf/secrets.h"
#include "monitor/inventory.h"
#include "proc/user.h"

namespace pgreplica::cli {

namespace {

// "status", "primary check": the command's path from the program, as the schema names it.
std::string PathOf(const CLI::App& cmd) {
  std::string path;
  for (const CLI::App* a = &cmd; a->get_parent() != nullptr; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

}  // namespace

const CLI::Validator& NonEmpty() {
  static const CLI::Validator v(
      [](std::string& value) -> std::string {
        return value.empty() ? "the value must not be empty (leave the option out for the default)"
                             : "";
      },
      "", "NONEMPTY");
  return v;
}

void ExcludeEachOther(CLI::App* cmd, CLI::Option* option, const std::vector<std::string>& others) {
  for (const auto& name : others) {
    if (CLI::Option* other = cmd->get_option_no_throw(name)) option->excludes(other);
  }
}

void AddCommonOptions(CLI::App* cmd, CommonOptions& o, const std::vector<std::string>& outputs) {
  cmd->add_option(
         "-c,--config", o.config_path,
         fmt::format("configuration file (default {} when it exists)", conf::kDefaultConfigPath))
      ->type_name("FILE")
      ->check(NonEmpty());
  cmd->add_option("--set", o.sets, "set a configuration key, e.g. --set primary.port=5433")
      ->type_name("KEY=VALUE")
      ->check(NonEmpty())
      ->allow_extra_args(false);
  std::string choices;
  for (size_t i = 0; i < outputs.size(); ++i)
    choices += (i == 0 ? "" : i + 1 == outputs.size() ? " or " : ", ") + outputs[i];
  std::string choices_list;  // "text,json": the man page and the completion read it
  for (const auto& f : outputs) choices_list += (choices_list.empty() ? "" : ",") + f;
  CLI::Validator known(
      [outputs, choices](std::string& value) -> std::string {
        if (std::find(outputs.begin(), outputs.end(), value) != outputs.end()) return "";
        return fmt::format("\"{}\" is not an output format of this command; use {}",
                           Printable(value), choices);
      },
      "", "FORMAT");
  cmd->add_option("-o,--output", o.output, "output format")
      ->check(known)
      ->type_name("FORMAT:{" + choices_list + "}");
  cmd->add_flag("-q,--quiet", o.quiet, "no progress or notices");
  cmd->add_flag("--no-color", o.no_color, "no colour (NO_COLOR in the environment does the same)");
  // The options of the configuration keys that the schema gives this command.
  const std::string path = PathOf(*cmd);
  for (const conf::KeyInfo& k : conf::ConfigKeys()) {
    if (std::find(k.commands.begin(), k.commands.end(), path) == k.commands.end()) continue;
    CLI::Option* opt =
        cmd->add_option(k.option, o.values[k.key], fmt::format("{} ({})", k.help, k.key));
    opt->type_name("VALUE")->group("Configuration overrides");
    o.overrides.emplace_back(opt, k.key);
  }
}

Result<conf::Config> LoadEffectiveConfig(const CommonOptions& o) {
  auto config = conf::LoadConfig(o.config_path);
  if (!config) return config;
  for (const auto& s : o.sets) {
    if (auto ok = conf::ApplyOverride(*config, s); !ok) return std::unexpected(ok.error());
  }
  for (const auto& [opt, key] : o.overrides) {
    if (opt->count() == 0) continue;
    std::string name = opt->get_name();
    if (o.values.at(key).empty()) {
      return Fail(
          ErrorKind::kUsage, fmt::format("invalid value for {}: \"\"", name),
          "The value must not be empty.",
          fmt::format("Leave {} out to use the configuration file's value or the default.", name));
    }
    auto ok = conf::SetKey(*config, key, o.values.at(key), name);
    if (!ok) return std::unexpected(ok.error());
  }
  // Thresholds judged together, once the command line has had its say.
  bool from_command_line = false;
  for (const auto& key : conf::ThresholdKeys())
    from_command_line = from_command_line || SetsKey(o, key);
  if (auto ok = conf::CheckThresholds(
          *config, from_command_line ? ErrorKind::kUsage : ErrorKind::kConfigInvalid,
          from_command_line ? "on the command line"
                            : fmt::format("in configuration file \"{}\"", config->source));
      !ok)
    return std::unexpected(ok.error());
  return config;
}

bool SetsKey(const CommonOptions& o, std::string_view key) {
  for (const auto& [opt, k] : o.overrides)
    if (k == key && opt->count() > 0) return true;
  for (const auto& s : o.sets)
    if (s.starts_with(std::string(key) + "=")) return true;
  return false;
}

bool SetsEmpty(const CommonOptions& o, std::string_view key) {
  for (const auto& s : o.sets)
    if (s == std::string(key) + "=") return true;
  return false;
}

std::vector<monitor::NodeSpec> ConfiguredNodes(const conf::Config& config, bool primary_only,
                                               bool local_only) {
  auto nodes = monitor::NodesFromConfig(config, !local_only, false);
  for (auto& local : monitor::NodesFromConfig(config, false, !primary_only)) {
    local.expect_standby = true;  // local.data_directory is the standby's
    nodes.push_back(std::move(local));
  }
  return nodes;
}

Result<std::string> ReadReplicationPassword(const conf::Config& config, bool from_stdin) {
  if (from_stdin) return conf::ReadSecretFromFd(STDIN_FILENO);
  if (config.replication.password_file.empty()) return std::string();
  std::vector<uid_t> owners = {0, geteuid()};
  if (auto user = proc::LookupUser(config.local.os_user)) owners.push_back(user->uid);
  return conf::ReadSecretFile(config.replication.password_file, owners);
}

Printer::Printer(const CommonOptions& o)
    : json_(o.output == "json"), quiet_(o.quiet), out_(1, o.no_color), err_(2, o.no_color) {}

void Printer::Line(std::string_view text) const {
  if (!json_) std::cout << text << '\n' << std::flush;
}

void Printer::Notice(std::string_view text) const {
  if (!json_ && !quiet_) std::cerr << text << '\n' << std::flush;
}

void Printer::Json(const nlohmann::json& doc) const {
  std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
            << std::flush;
}

void Printer::PrintError(const Error& e) const {
  if (json_) {
    Json({{"ok", false}, {"error", ErrorJson(e)}});
    return;
  }
  // Messages quote what users, files and servers said: no control character reaches the
  // terminal, and the message stays on its line.
  // The style of PostgreSQL's own client programs since 15 (pg_basebackup, pg_dump):
  // "pgreplica: error: ...", then "pgreplica: detail: ..." and "pgreplica: hint: ...".
  std::cerr << "pgreplica: " << err_.Paint("error:", "1;31") << ' ' << Printable(e.message) << '\n';
  if (!e.detail.empty()) std::cerr << "pgreplica: detail: " << Printable(e.detail, true) << '\n';
  if (!e.hint.empty()) std::cerr << "pgreplica: hint: " << Printable(e.hint, true) << '\n';
  std::cerr << std::flush;
}

void Printer::Report(const CheckReport& report, std::string_view title,
                     const nlohmann::json& extra) const {
  if (json_) {
    nlohmann::json doc = ToJson(report);
    doc.update(extra);
    Json(doc);
    return;
  }
  Line(title);
  for (const auto& i : report.items) {
    std::string mark;
    switch (i.status) {
      case CheckStatus::kOk:
        mark = out_.Paint("ok  ", "32");
        break;
      case CheckStatus::kWarning:
        mark = out_.Paint("warn", "33");
        break;
      case CheckStatus::kFail:
        mark = out_.Paint("FAIL", "1;31");
        break;
      case CheckStatus::kSkipped:
        mark = "skip";
        break;
    }
    std::string value = i.value.empty() ? "" : fmt::format(" [{}]", i.value);
    Line(fmt::format("  {}  {:<24} {}{}", mark, i.name, i.message, value));
    if (!i.fix.empty()) Line(fmt::format("        fix: {}", i.fix));
  }
  Line(fmt::format("{} failed, {} warning(s), {} checks", report.Count(CheckStatus::kFail),
                   report.Count(CheckStatus::kWarning), report.items.size()));
}

int Finish(const Printer& printer, const Result<int>& outcome) {
  if (outcome) return *outcome;
  printer.PrintError(outcome.error());
  return ExitCode(outcome.error().kind);
}

void PrintPlainError(const Error& e) {
  CommonOptions o;
  Printer(o).PrintError(e);
}

}  // namespace pgreplica::cli
