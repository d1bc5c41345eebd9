// pgreplica jobs list | jobs show ID [--follow]: the record of every mutating run.

#include <unistd.h>

#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/text.h"
#include "jobs/jobs.h"
#include "proc/interrupt.h"

namespace pgreplica::cli {

namespace {

struct JobsOptions {
  CommonOptions common;
  std::string id;
  bool follow = false;
};

Result<int> RunList(const JobsOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  replica::JobStore store(config->state_directory);
  auto jobs = store.List();
  if (!jobs) return std::unexpected(jobs.error());
  if (printer.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& j : *jobs) {
      nlohmann::json doc = replica::ToJson(j);
      doc.erase("result");
      list.push_back(doc);
    }
    printer.Json({{"ok", true}, {"jobs", list}});
    return kExitOk;
  }
  if (jobs->empty()) {
    printer.Line(fmt::format("no jobs recorded in \"{}\"", store.dir()));
    return kExitOk;
  }
  printer.Line(fmt::format("{:<34} {:<8} {:<12} {:<21} {}", "ID", "COMMAND", "STATE", "STARTED",
                           "LAST STEP"));
  for (const auto& j : *jobs) {
    std::string last = j.steps.empty() ? "" : j.steps.back().name + " " + j.steps.back().status;
    printer.Line(
        fmt::format("{:<34} {:<8} {:<12} {:<21} {}", j.id, j.command, j.state, j.started_at, last));
  }
  return kExitOk;
}

void PrintJob(const Printer& printer, const replica::JobRecord& j) {
  printer.Line(fmt::format("job {}: {} {}", j.id, j.command, j.state));
  std::string args;
  for (const auto& a : j.arguments) args += " " + a;
  printer.Line(fmt::format("  arguments:{}", args));
  printer.Line(fmt::format("  started {}{}", j.started_at,
                           j.finished_at.empty() ? "" : ", finished " + j.finished_at));
  if (j.exit_code >= 0) printer.Line(fmt::format("  exit code {}", j.exit_code));
  printer.Line(fmt::format("  log {}", j.log_file));
  for (const auto& s : j.steps)
    printer.Line(
        fmt::format("  {:<8} {:<10} {:7.1f} s  {}", s.status, s.name, s.seconds, s.message));
  if (j.result.is_object() && j.result.contains("actions") && j.result["actions"].is_array()) {
    for (const auto& a : j.result["actions"])
      if (a.is_string()) printer.Line("  " + Printable(a.get<std::string>()));
  }
  if (j.error.is_object()) {
    // As the run printed it: the message, then its DETAIL and HINT (strings only; a record
    // written by hand or damaged may hold anything).
    auto text = [&](const char* key) {
      auto it = j.error.find(key);
      return it != j.error.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    printer.Line(fmt::format("  error: {}", Printable(text("message"))));
    if (std::string d = text("detail"); !d.empty())
      printer.Line(fmt::format("  detail: {}", Printable(d, /*keep_newlines=*/true)));
    if (std::string h = text("hint"); !h.empty())
      printer.Line(fmt::format("  hint: {}", Printable(h)));
  }
}

// Prints what the log gained since the last call; errors end the following.
Status PrintNew(replica::LogFollower& log) {
  while (true) {
    auto chunk = log.ReadNew();
    if (!chunk) return std::unexpected(chunk.error());
    if (chunk->empty()) return {};
    std::cout << *chunk << std::flush;
  }
}

Result<int> RunShow(const JobsOptions& o, const Printer& printer) {
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  replica::JobStore store(config->state_directory);
  auto job = store.Load(o.id);
  if (!job) return std::unexpected(job.error());
  if (!o.follow) {
    if (printer.json()) {
      printer.Json(replica::ToJson(*job));
    } else {
      PrintJob(printer, *job);
    }
    return kExitOk;
  }
  proc::InterruptGuard interrupts;
  // Only the new part of the log is read each time, however large it grows.
  replica::LogFollower log(job->log_file);
  while (true) {
    if (auto ok = PrintNew(log); !ok) return std::unexpected(ok.error());
    if (job->state != "running" || proc::InterruptGuard::Interrupted()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto again = store.Load(o.id);
    if (!again) return std::unexpected(again.error());
    job = std::move(again);
  }
  if (auto ok = PrintNew(log); !ok) return std::unexpected(ok.error());
  if (!printer.json()) PrintJob(printer, *job);
  return job->state == "succeeded" ? kExitOk
         : job->exit_code > 0      ? job->exit_code
                                   : ExitCode(ErrorKind::kChildFailed);
}

}  // namespace

void AddJobsCommand(CLI::App& app, Runner& runner) {
  CLI::App* group = app.add_subcommand("jobs", "the record of every clone and decommission run");
  group->require_subcommand(1);
  auto list_opts = std::make_shared<JobsOptions>();
  CLI::App* list = group->add_subcommand("list", "list recorded jobs, newest first");
  AddCommonOptions(list, list_opts->common);
  BindRunner(list, list_opts, runner, &RunList);

  auto show_opts = std::make_shared<JobsOptions>();
  CLI::App* show = group->add_subcommand("show", "show one job: steps, timings, outcome, log path");
  AddCommonOptions(show, show_opts->common);
  show->add_option("id", show_opts->id, "job id, as printed by clone or jobs list")->required();
  show->add_flag("-f,--follow", show_opts->follow,
                 "print the job's log as it grows, until the job ends");
  BindRunner(show, show_opts, runner, &RunShow);
}

}  // namespace pgreplica::cli
