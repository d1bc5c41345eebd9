// pgreplica status: slots, standbys and lag, for one node or a fleet.

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/dirfd.h"
#include "common/fs.h"
#include "common/text.h"
#include "doctor/config_check.h"
#include "monitor/collector.h"
#include "monitor/inventory.h"
#include "monitor/prometheus.h"
#include "monitor/text.h"

namespace pgreplica::cli {

namespace {

struct StatusOptions {
  CommonOptions common;
  std::string inventory;
  bool primary_only = false;
  bool local_only = false;
  std::string output_file;  // --output-file: written atomically instead of standard output
};

// Writes `text` to `path` as node_exporter's textfile collector needs it: a temporary file
// beside it, synced, renamed over it (readers see the old file or the new one). The
// directory may belong to someone else (node_exporter's user): it is reached without
// following a link anyone but root could have planted, and the file is created there with
// O_EXCL and O_NOFOLLOW and renamed with renameat, so that no link in it is ever followed.
Status WriteOutputFile(const std::string& path, const std::string& text) {
  std::string name = BaseName(path);
  if (!path.empty() && path.back() == '/')
    return Fail(ErrorKind::kUsage,
                fmt::format("--output-file \"{}\" names a directory", Printable(path)), "",
                "Give the path of the file to write, such as "
                "/var/lib/prometheus/node-exporter/pgreplica.prom.");
  if (path.empty() || path.front() != '/' || name == "." || name == "..")
    return Fail(ErrorKind::kUsage,
                fmt::format("--output-file \"{}\" is not an absolute file path", Printable(path)));
  // ".." would be resolved against directories that another user may move meanwhile.
  if (path.find("/../") != std::string::npos)
    return Fail(ErrorKind::kUsage,
                fmt::format("--output-file \"{}\" contains \"..\"", Printable(path)), "",
                "Give the file's path without \"..\".");
  auto dir = Dir::Open(DirName(path));
  if (!dir) return std::unexpected(dir.error());
  if (auto ok = dir->WriteFileAtomic(name, text, 0644, std::nullopt); !ok) {
    Error e = ok.error();
    if (e.hint.empty())
      e.hint =
          "The previous file, if any, was left as it was. Check that the directory exists "
          "and that nothing but a file has that name.";
    return std::unexpected(e);
  }
  return {};
}

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
  if (!o.output_file.empty()) {
    std::string text =
        o.common.output == "prometheus" ? monitor::ToPrometheus(nodes)
        : printer.json()
            ? monitor::ToJson(nodes).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                  "\n"
            : monitor::ToText(nodes);
    if (auto ok = WriteOutputFile(o.output_file, text); !ok) return std::unexpected(ok.error());
  } else if (o.common.output == "prometheus") {
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
  AddCommonOptions(cmd, o->common, {"text", "json", "prometheus"});
  CLI::Option* inventory =
      cmd->add_option("--inventory", o->inventory,
                      "YAML list of nodes to query concurrently (docs/monitoring.md)")
          ->type_name("FILE")
          ->check(NonEmpty());
  cmd->add_flag("--primary-only", o->primary_only, "query only the configured primary");
  cmd->add_flag("--local-only", o->local_only, "query only the local standby");
  cmd->add_option("--output-file", o->output_file,
                  "write the output to this file atomically (a temporary file beside it, "
                  "renamed over it; no link followed), e.g. for node_exporter's textfile "
                  "collector")
      ->type_name("FILE")
      ->check(NonEmpty());
  // Options that say which nodes to ask, or how, mean nothing next to an inventory (it names
  // its nodes and their logins), and --primary-only --local-only would ask no node at all.
  ExcludeEachOther(cmd, cmd->get_option("--primary-only"), {"--local-only"});
  ExcludeEachOther(
      cmd, inventory,
      {"--primary-only", "--local-only", "--host", "--port", "--dbname", "--admin-user",
       "--admin-passfile", "--data-directory", "--local-port", "--connect-timeout"});
  cmd->footer(
      "Exit code 0 when every node answered, 7 when one did not (it is still reported, and "
      "--output-file still written); 4 when the configuration names no primary (unless "
      "--local-only or --inventory), 5 when --output-file cannot be written and 6 when its "
      "path goes through a link another user could have planted (the old file is kept in "
      "both cases).");
  BindRunner(cmd, o, runner, &RunStatus);
}

}  // namespace pgreplica::cli
