// pgreplica status: slots, standbys and lag, for one node or a fleet.

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "monitor/collector.h"
#include "monitor/inventory.h"
#include "monitor/prometheus.h"
#include "monitor/text.h"
#include "replica/config_check.h"

namespace pgreplica::cli {

namespace {

const std::vector<std::string> kKeys = {
    "primary.host",           "primary.port",         "primary.dbname", "primary.admin_user",
    "primary.admin_passfile", "local.data_directory", "local.port",     "connect_timeout"};

struct StatusOptions {
  CommonOptions common;
  std::string inventory;
  bool primary_only = false;
  bool local_only = false;
};

Result<std::vector<monitor::NodeSpec>> Targets(const StatusOptions& o, const conf::Config& config) {
  if (!o.inventory.empty()) return monitor::LoadInventory(o.inventory);
  // Without a primary the slots, the standbys it serves and their lag are not looked at.
  if (!o.local_only) {
    if (auto ok = replica::RequirePrimary(config); !ok) return std::unexpected(ok.error());
  }
  auto nodes = ConfiguredNodes(config, o.primary_only, o.local_only);
  if (nodes.empty()) {
    return Fail(
        ErrorKind::kConfigInvalid, "no node to query",
        "Neither primary.host nor local.data_directory is set, and no --inventory was given.",
        "Pass --host (the primary), --data-directory and --local-port (this standby), or "
        "--inventory FILE.");
  }
  return nodes;
}

Result<int> RunStatus(const StatusOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  auto targets = Targets(o, *config);
  if (!targets) return std::unexpected(targets.error());
  auto nodes = monitor::Collect(*targets);
  if (o.common.output == "prometheus") {
    std::cout << monitor::ToPrometheus(nodes) << std::flush;
  } else if (printer.json()) {
    printer.Json(monitor::ToJson(nodes));
  } else {
    std::cout << monitor::ToText(nodes) << std::flush;
  }
  for (const auto& n : nodes)
    if (!n.reachable) return ExitCode(ErrorKind::kConnection);
  return kExitOk;
}

}  // namespace

void AddStatusCommand(CLI::App& app, Runner& runner) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* cmd = app.add_subcommand("status",
                                     "slots, standbys, lag in bytes and seconds: of the primary "
                                     "and this standby, or a whole fleet");
  AddCommonOptions(cmd, o->common, kKeys, {"text", "json", "prometheus"});
  CLI::Option* inventory =
      cmd->add_option("--inventory", o->inventory,
                      "YAML list of nodes to query concurrently (docs/monitoring.md)")
          ->type_name("FILE")
          ->check(NonEmpty());
  cmd->add_flag("--primary-only", o->primary_only, "query only the configured primary");
  cmd->add_flag("--local-only", o->local_only, "query only the local standby");
  // Options that say which nodes to ask, or how, mean nothing next to an inventory (it names
  // its nodes and their logins), and --primary-only --local-only would ask no node at all.
  ExcludeEachOther(cmd, cmd->get_option("--primary-only"), {"--local-only"});
  ExcludeEachOther(
      cmd, inventory,
      {"--primary-only", "--local-only", "--host", "--port", "--dbname", "--admin-user",
       "--admin-passfile", "--data-directory", "--local-port", "--connect-timeout"});
  cmd->footer("Exit code 0 when every node answered, 7 when one did not (it is still reported).");
  BindRunner(cmd, o, runner, &RunStatus);
}

}  // namespace pgreplica::cli
