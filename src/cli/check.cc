// pgreplica check: the status judged against thresholds, as a Nagios plugin.

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "doctor/config_check.h"
#include "monitor/check.h"
#include "monitor/collector.h"
#include "monitor/inventory.h"
#include "monitor/text.h"

namespace pgreplica::cli {

namespace {

struct CheckOptions {
  CommonOptions common;
  std::string inventory;
  bool primary_only = false;
  bool local_only = false;
  bool inactive_critical = false;
  std::vector<std::string> expect;
};

monitor::Thresholds ThresholdsFrom(const conf::CheckConfig& c, const CheckOptions& o) {
  monitor::Thresholds t;
  t.retained_warn_bytes = static_cast<std::int64_t>(c.retained_warn_mb) << 20;
  t.retained_crit_bytes = static_cast<std::int64_t>(c.retained_crit_mb) << 20;
  t.lag_warn_bytes = static_cast<std::int64_t>(c.lag_warn_mb) << 20;
  t.lag_crit_bytes = static_cast<std::int64_t>(c.lag_crit_mb) << 20;
  t.lag_warn_seconds = c.lag_warn_seconds;
  t.lag_crit_seconds = c.lag_crit_seconds;
  t.silence_crit_seconds = c.silence_crit_seconds;
  t.inactive_slot_critical = c.inactive_slot_critical || o.inactive_critical;
  t.expected_standbys = c.expected_standbys;
  t.expected_standbys.insert(t.expected_standbys.end(), o.expect.begin(), o.expect.end());
  return t;
}

// Nagios semantics everywhere: even a bad configuration is UNKNOWN (3).
int Unknown(const CheckOptions& o, const Error& e) {
  if (o.common.output == "json") {
    // The same words as the Nagios line, and the error itself for a program to read.
    Printer(o.common).Json({{"state", "UNKNOWN"},
                            {"exit_code", 3},
                            {"problems", {e.message + (e.detail.empty() ? "" : ": " + e.detail)}},
                            {"error", ErrorJson(e)}});
  } else {
    // One line, whatever the message holds (libpq's have a second line).
    std::cout << monitor::UnknownLine(e.message + (e.detail.empty() ? "" : ": " + e.detail))
              << std::endl;
  }
  return static_cast<int>(monitor::State::kUnknown);
}

int RunCheck(const CheckOptions& o) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return Unknown(o, config.error());
  std::vector<monitor::NodeSpec> targets;
  if (!o.inventory.empty()) {
    auto inv = monitor::LoadInventory(o.inventory);
    if (!inv) return Unknown(o, inv.error());
    targets = *inv;
  } else {
    // A run that checked no primary must not say OK when the primary's slot is what matters:
    // a configuration without one is UNKNOWN, unless only the local standby was asked for.
    if (!o.local_only) {
      if (auto ok = replica::RequirePrimary(*config); !ok) return Unknown(o, ok.error());
    }
    targets = ConfiguredNodes(*config, o.primary_only, o.local_only);
  }
  if (targets.empty()) return Unknown(o, {ErrorKind::kConfigInvalid, "no node to check"});
  auto nodes = monitor::Collect(targets);
  auto outcome = monitor::Judge(nodes, ThresholdsFrom(config->check, o));
  if (o.common.output == "json") {
    nlohmann::json perf = nlohmann::json::array();
    for (const auto& p : outcome.perfdata)
      perf.push_back({{"label", p.label},
                      {"value", p.value ? nlohmann::json(*p.value) : nlohmann::json()},
                      {"uom", p.uom},
                      {"warn", p.warn},
                      {"crit", p.crit}});
    Printer(o.common).Json({{"state", monitor::StateName(outcome.state)},
                            {"exit_code", outcome.ExitCode()},
                            {"problems", outcome.problems},
                            {"perfdata", perf},
                            {"line", outcome.Line()}});
  } else if (o.common.output == "text") {
    std::cout << outcome.Line() << "\n" << monitor::ToText(nodes) << std::flush;
  } else {
    std::cout << outcome.Line() << std::endl;
  }
  return outcome.ExitCode();
}

}  // namespace

void AddCheckCommand(CLI::App& app, Runner& runner) {
  auto o = std::make_shared<CheckOptions>();
  o->common.output = "nagios";
  CLI::App* cmd = app.add_subcommand("check",
                                     "judge slots, lag and receivers against thresholds: a Nagios "
                                     "plugin (exit 0/1/2/3, perfdata)");
  AddCommonOptions(cmd, o->common, {"nagios", "text", "json"});
  CLI::Option* inventory =
      cmd->add_option("--inventory", o->inventory, "YAML list of nodes to check concurrently")
          ->type_name("FILE")
          ->check(NonEmpty());
  cmd->add_flag("--primary-only", o->primary_only, "check only the configured primary");
  cmd->add_flag("--local-only", o->local_only, "check only the local standby");
  // Options that say which nodes to ask, or how, mean nothing next to an inventory (it names
  // its nodes and their logins), and --primary-only --local-only would ask no node at all.
  ExcludeEachOther(cmd, cmd->get_option("--primary-only"), {"--local-only"});
  ExcludeEachOther(
      cmd, inventory,
      {"--primary-only", "--local-only", "--host", "--port", "--dbname", "--admin-user",
       "--admin-passfile", "--data-directory", "--local-port", "--connect-timeout"});
  cmd->add_flag("--inactive-critical", o->inactive_critical,
                "an inactive slot is CRITICAL (default WARNING)");
  cmd->add_option("--expect", o->expect,
                  "a standby (application or slot name) that must be streaming; repeatable")
      ->type_name("NAME")
      ->check(NonEmpty())
      ->allow_extra_args(false);
  cmd->footer(
      "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for configuration errors).");
  cmd->callback([o, &runner] { runner = [o] { return RunCheck(*o); }; });
}

}  // namespace pgreplica::cli
