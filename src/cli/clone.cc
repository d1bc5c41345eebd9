// pgreplica clone: turn this host into a streaming hot standby of the primary.

#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/progress.h"
#include "clone/clone.h"
#include "common/dirfd.h"
#include "common/text.h"
#include "conf/validate.h"
#include "jobs/jobs.h"
#include "proc/child.h"
#include "proc/interrupt.h"

namespace pgreplica::cli {

namespace {

struct CloneCliOptions {
  CommonOptions common;
  bool dry_run = false;
  bool force = false;
  bool no_verify = false;
  bool no_keep_old = false;
  bool detach = false;
  bool if_needed = false;
  std::vector<std::string> tablespace_mapping;  // added to local.tablespace_mapping
  std::string job_id;                           // set for the detached child
  std::vector<std::string> argv;                // the whole command line, for --detach
};

void PrintText(const Printer& p, const replica::CloneResult& r, const conf::Config& cfg) {
  const bool show_report = r.preflight && (r.dry_run || !r.preflight->report.ok() ||
                                           r.preflight->report.Count(CheckStatus::kWarning) > 0);
  if (show_report) {
    p.Report(r.preflight->report, "preflight");
    if (r.dry_run && !r.error) {
      const auto& plan = r.preflight->plan;
      p.Line("plan (dry run: nothing was changed)");
      p.Line(fmt::format("  slot            {} ({})", plan.slot,
                         plan.create_slot ? "created" : "reused"));
      if (plan.copy_slot != plan.slot)
        p.Line(fmt::format("  copy slot       {} (temporary)", plan.copy_slot));
      p.Line(fmt::format("  staging         {}", plan.staging));
      if (plan.replace_existing) {
        p.Line(
            fmt::format("  old data kept   {}{}", plan.old_directory,
                        r.preflight->facts.local.empty ? " (empty: removed after success)" : ""));
      }
      for (const auto& t : plan.tablespaces) {
        if (t.value("in_place", false)) continue;
        p.Line(fmt::format("  tablespace      {} -> {} (staged in {})",
                           t.value("name", std::string()), t.value("location", std::string()),
                           t.value("staging", std::string())));
      }
      if (plan.verify == "off") {
        p.Line("  verify          off (--no-verify): the copy is swapped in unchecked");
      } else {
        auto wal = replica::ChooseWalCheck(plan.verifier_major, plan.primary_major);
        p.Line(fmt::format(
            "  verify          {}{}", plan.verify == "builtin" ? "built-in verifier" : plan.verify,
            wal.parse ? ", WAL parsed" : "; the WAL is not parsed (" + wal.explanation + ")"));
      }
      p.Line(fmt::format("  service         {}{}", plan.service,
                         plan.stop_running ? " (stopped at the swap)" : ""));
      std::string argv;
      for (const auto& a : plan.basebackup_argv) argv += (argv.empty() ? "" : " ") + ShellWord(a);
      p.Line(fmt::format("  copy            {}", argv));
    }
  }
  if (r.already_streaming) {
    p.Line(
        fmt::format("nothing to do: \"{}\" already streams from \"{}\" port {} through slot \"{}\"",
                    cfg.local.data_directory, cfg.primary.host, cfg.primary.port, r.slot));
  }
  if (r.completed) {
    std::string lag = r.confirm.replay_lag_bytes
                          ? fmt::format(", replay lag {} bytes", *r.confirm.replay_lag_bytes)
                          : "";
    p.Line(fmt::format("the standby in \"{}\" streams from \"{}\" port {} through slot \"{}\"{}",
                       cfg.local.data_directory, cfg.primary.host, cfg.primary.port, r.slot, lag));
    if (!r.old_directory.empty())
      p.Line(fmt::format("the previous data directory is kept in \"{}\"", r.old_directory));
  }
}

// Prints the result (and the job, if one was recorded); returns the exit code.
int Render(const Printer& printer, const replica::CloneResult& result,
           const replica::JobRecord* job, const conf::Config& config) {
  int code = result.error ? ExitCode(result.error->kind) : kExitOk;
  if (printer.json()) {
    nlohmann::json doc = result.ToJson();
    if (job) doc["job"] = job->id;
    printer.Json(doc);
    return code;
  }
  PrintText(printer, result, config);
  if (job) printer.Line(fmt::format("job {} (log: {})", job->id, job->log_file));
  if (result.error) printer.PrintError(*result.error);
  return code;
}

std::vector<std::string> ChildArgv(const CloneCliOptions& o, const std::string& id) {
  std::vector<std::string> argv = {"/proc/self/exe"};
  for (size_t i = 1; i < o.argv.size(); ++i)
    if (o.argv[i] != "--detach") argv.push_back(o.argv[i]);
  argv.push_back("--job-id");
  argv.push_back(id);
  return argv;
}

std::vector<std::string> RecordedArguments(const CloneCliOptions& o) {
  std::vector<std::string> args;
  bool after_command = false;
  for (size_t i = 1; i < o.argv.size(); ++i) {
    if (after_command) args.push_back(o.argv[i]);
    if (o.argv[i] == "clone") after_command = true;
  }
  return args;
}

// --detach: start the same clone in a new session, its output in the job log.
Result<int> Detach(const CloneCliOptions& o, const conf::Config& cfg, const Printer& printer) {
  replica::JobStore store(cfg.state_directory);
  auto job = store.Create("clone", RecordedArguments(o));
  if (!job) return std::unexpected(job.error());
  auto child = proc::Child::Start(
      {.argv = ChildArgv(o, job->id), .output_file = job->log_file, .new_session = true});
  if (!child) return std::unexpected(child.error());
  job->pid = child->pid();
  (void)store.Save(*job);
  child->Release();
  if (printer.json()) {
    printer.Json({{"ok", true}, {"job", job->id}, {"log_file", job->log_file}, {"detached", true}});
  } else {
    printer.Line(fmt::format("started clone job {}", job->id));
    // The command works as printed: with the state directory this clone uses when it is not
    // the default one.
    std::string where = cfg.state_directory == conf::Config{}.state_directory
                            ? ""
                            : " --state-directory " + ShellWord(cfg.state_directory);
    printer.Line(fmt::format("follow it with: pgreplica jobs show {} --follow{}", job->id, where));
  }
  return kExitOk;
}

Result<int> RunCloneCommand(const CloneCliOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  if (o.no_verify) config->clone.verify = "off";
  if (o.no_keep_old) config->clone.keep_old = 0;
  // A --tablespace-mapping replaces the configuration's entry for the same OLDDIR.
  auto old_dir = [](const std::string& m) { return LexicalPath(m.substr(0, m.find('='))); };
  for (const auto& m : o.tablespace_mapping) {
    if (auto p = conf::CheckTablespaceMapping(m))
      return Fail(ErrorKind::kUsage, fmt::format("invalid --tablespace-mapping \"{}\"", m), *p);
    std::erase_if(config->local.tablespace_mapping,
                  [&](const std::string& e) { return old_dir(e) == old_dir(m); });
    config->local.tablespace_mapping.push_back(m);
  }
  if (auto ok = replica::ValidateCloneConfig(*config); !ok) return std::unexpected(ok.error());
  if (o.detach && !o.dry_run) return Detach(o, *config, printer);

  // --if-needed with nothing to do records no job: a highstate every hour would otherwise leave
  // a "clone succeeded" record each time (a detached child's record exists already).
  if (o.if_needed && o.job_id.empty()) {
    auto early = replica::CheckIfNeeded(*config, o.dry_run);
    if (early.already_streaming || early.error) return Render(printer, early, nullptr, *config);
  }
  proc::InterruptGuard interrupts;
  replica::JobStore store(config->state_directory);
  std::optional<replica::JobRecord> job;
  if (!o.dry_run) {
    auto created = store.Create("clone", RecordedArguments(o), o.job_id);
    if (!created) return std::unexpected(created.error().Context("could not record the job"));
    job = std::move(*created);
  }
  if (!printer.json()) {
    printer.Line(fmt::format("pgreplica clone: a standby of \"{}\" port {} in \"{}\"{}",
                             config->primary.host, config->primary.port,
                             config->local.data_directory, o.dry_run ? " (dry run)" : ""));
  }
  ProgressDisplay progress(printer);
  replica::CloneEvents events{
      .on_step =
          [&](const replica::JobStep& s) {
            if (s.status == "running") return;
            progress.Finish();
            printer.Line(fmt::format("  {:<7} {:<10} {} ({:.1f} s)", s.status, s.name, s.message,
                                     s.seconds));
          },
      .on_progress = [&](const replica::CopyProgress& p) { progress.Update(p); },
      .on_output = {},
      .cancel = [] { return proc::InterruptGuard::Interrupted(); }};
  auto result =
      replica::RunClone(*config, {.dry_run = o.dry_run, .force = o.force, .if_needed = o.if_needed},
                        events, job ? &*job : nullptr, &store);
  progress.Finish();
  if (job) replica::FinishJob(store, *job, result.error, result.ToJson());
  return Render(printer, result, job ? &*job : nullptr, *config);
}

}  // namespace

void AddCloneCommand(CLI::App& app, Runner& runner, const std::vector<std::string>& argv) {
  auto o = std::make_shared<CloneCliOptions>();
  o->argv = argv;
  CLI::App* cmd = app.add_subcommand(
      "clone", "make this host a streaming hot standby of the primary, never losing the old one");
  cmd->footer(
      "Sequence: lock, preflight (all checks), slot (WAL reserved), copy into staging with "
      "pg_basebackup,\n"
      "verify against the backup manifest (clone.verify), swap (stop old, move aside, move copy "
      "in, start), confirm "
      "streaming.\n"
      "Nothing in the data directory changes before the swap.");
  AddCommonOptions(cmd, o->common);
  cmd->add_flag("--dry-run", o->dry_run, "run the preflight, print the plan, change nothing");
  cmd->add_flag("--force", o->force,
                "replace the data directory even if it holds a running primary");
  cmd->add_flag("--no-verify", o->no_verify, "skip verifying the copy (clone.verify: false)");
  CLI::Option* no_keep_old =
      cmd->add_flag("--no-keep-old", o->no_keep_old,
                    "delete the old data directory after success (clone.keep_old: 0)");
  ExcludeEachOther(cmd, no_keep_old, {"--keep-old"});
  cmd->add_flag(
      "--if-needed", o->if_needed,
      "do nothing when this host already streams from the configured primary through its slot");
  cmd->add_option("-T,--tablespace-mapping", o->tablespace_mapping,
                  "OLDDIR=NEWDIR: copy the primary's tablespace at OLDDIR to NEWDIR on this host "
                  "(repeatable; replaces local.tablespace_mapping's entry for OLDDIR)")
      ->type_name("OLDDIR=NEWDIR")
      ->allow_extra_args(false);
  cmd->add_flag("--detach", o->detach,
                "run in the background; follow with \"pgreplica jobs show ID --follow\"");
  cmd->add_option("--job-id", o->job_id, "job id (used by --detach)")->group("");
  BindRunner(cmd, o, runner, &RunCloneCommand);
}

}  // namespace pgreplica::cli
