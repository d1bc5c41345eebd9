// pgreplica decommission: retire a replica and its slot.

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "clone/clone.h"
#include "decommission/decommission.h"
#include "jobs/jobs.h"

namespace pgreplica::cli {

namespace {

struct DecommissionCliOptions {
  CommonOptions common;
  CLI::Option* node_option = nullptr;
  std::string node;
  bool force = false, stop = false, remove_data = false, dry_run = false;
};

// Which slot goes must be what the user said: an empty shell variable or a second, ignored way
// of naming it never falls back to this host's own slot.
Status CheckSlotChoice(const DecommissionCliOptions& o) {
  bool by_node = o.node_option->count() > 0;
  if (by_node && SetsKey(o.common, "replication.slot")) {
    return Fail(ErrorKind::kUsage, "--node and --slot cannot be used together",
                "Both name the slot to drop.", "Pass one of them.");
  }
  if (by_node && o.stop) {
    return Fail(ErrorKind::kUsage, "--stop cannot be used with --node",
                "--stop retires this host's standby; --node names another replica's slot. "
                "Together they would stop this host's standby and drop another slot.",
                "Run \"pgreplica decommission --stop\" on the replica itself, or drop another "
                "replica's slot without --stop.");
  }
  if (SetsEmpty(o.common, "replication.slot")) {
    return Fail(ErrorKind::kUsage, "invalid value for --set replication.slot: \"\"",
                "decommission needs the slot to drop; an empty value would mean this host's own.",
                "Name the slot, or leave the option out to drop this host's slot.");
  }
  return {};
}

// The library's options: the flags, and the slot of --node, else this host's own.
Result<replica::DecommissionOptions> LibraryOptions(const DecommissionCliOptions& o,
                                                    const conf::Config& config) {
  replica::DecommissionOptions opts{
      .force = o.force, .stop = o.stop, .remove_data = o.remove_data, .dry_run = o.dry_run};
  if (o.node_option->count() > 0) {
    auto slot = replica::SlotForNode(o.node);
    if (!slot) return std::unexpected(slot.error());
    opts.slot = *slot;
  } else {
    opts.slot = replica::ResolveSlotName(config);
    opts.own_slot = true;
  }
  return opts;
}

// The arguments the job record keeps: the slot named and the flags given.
std::vector<std::string> RecordedArguments(const DecommissionCliOptions& o,
                                           const replica::DecommissionOptions& opts) {
  std::vector<std::string> args;
  if (o.node_option->count() > 0) args = {"--node", o.node};
  if (SetsKey(o.common, "replication.slot")) args.insert(args.end(), {"--slot", opts.slot});
  if (o.stop) args.push_back("--stop");
  if (o.remove_data) args.push_back("--remove-data");
  if (o.force) args.push_back("--force");
  return args;
}

// The job's one step, its log and its end.
void RecordOutcome(const replica::JobStore& store, replica::JobRecord& job,
                   const Result<replica::DecommissionResult>& result, double seconds) {
  replica::JobStep step{"decommission", result ? "ok" : "failed", job.started_at, seconds,
                        result ? fmt::format("slot \"{}\": {}", result->slot,
                                             result->changed() ? "done" : "nothing to do")
                               : result.error().message};
  job.steps = {step};
  if (result) {
    for (const auto& a : result->actions) (void)store.AppendLog(job, a);
  } else {
    (void)store.AppendLog(job, "error: " + result.error().message);
  }
  (void)store.AppendLog(job, fmt::format("step decommission: {}", step.status));
  replica::FinishJob(store, job, result ? std::nullopt : std::optional<Error>(result.error()),
                     result ? result->ToJson() : nlohmann::json());
}

void PrintResult(const Printer& printer, const DecommissionCliOptions& o,
                 const conf::Config& config, const replica::DecommissionResult& result,
                 const replica::JobRecord* job) {
  if (printer.json()) {
    nlohmann::json doc = result.ToJson();
    doc["dry_run"] = o.dry_run;
    if (job) doc["job"] = job->id;
    printer.Json(doc);
    return;
  }
  printer.Line(fmt::format("pgreplica decommission: slot \"{}\" on \"{}\" port {}{}", result.slot,
                           config.primary.host, config.primary.port,
                           o.dry_run ? " (dry run)" : ""));
  for (const auto& a : result.actions) printer.Line("  " + a);
  if (!result.changed() && !o.dry_run) printer.Line("nothing to do");
}

Result<int> RunDecommission(const DecommissionCliOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  if (auto ok = CheckSlotChoice(o); !ok) return std::unexpected(ok.error());
  auto opts = LibraryOptions(o, *config);
  if (!opts) return std::unexpected(opts.error());
  if (auto ok = replica::ValidateDecommission(*config, *opts); !ok)
    return std::unexpected(ok.error());
  replica::JobStore store(config->state_directory);
  std::optional<replica::JobRecord> job;
  if (!o.dry_run) {
    auto created = store.Create("decommission", RecordedArguments(o, *opts));
    if (created) job = std::move(*created);
  }
  auto started = std::chrono::steady_clock::now();
  auto result = replica::Decommission(*config, *opts);
  if (job) {
    RecordOutcome(
        store, *job, result,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (!result) return std::unexpected(result.error());
  PrintResult(printer, o, *config, *result, job ? &*job : nullptr);
  return kExitOk;
}

}  // namespace

void AddDecommissionCommand(CLI::App& app, Runner& runner) {
  auto o = std::make_shared<DecommissionCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decommission",
      "retire a replica: drop its slot on the primary, optionally stop it and move its data aside");
  AddCommonOptions(cmd, o->common);
  o->node_option =
      cmd->add_option("--node", o->node,
                      "host name of the replica; its slot is node_<short name>_slot, as clone "
                      "names it")
          ->type_name("HOST");
  cmd->add_flag("--force", o->force,
                "end the walsender of an active slot, then drop it; with --stop, also retire a "
                "data directory that is not a standby's");
  cmd->add_flag("--stop", o->stop, "also stop the local standby (run on the replica)");
  cmd->add_flag("--remove-data", o->remove_data,
                "with --stop: move the data directory to <dir>.decommissioned-<time>");
  cmd->add_flag("--dry-run", o->dry_run, "say what would happen, change nothing");
  cmd->footer(
      "Without --node or --slot the slot of this host is dropped. An absent slot is success "
      "(nothing to do).");
  BindRunner(cmd, o, runner, &RunDecommission);
}

}  // namespace pgreplica::cli
