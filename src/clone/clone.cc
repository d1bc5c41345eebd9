#include "clone/clone.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>

#include <fmt/format.h>

#include "clone/confirm.h"
#include "clone/copy_watch.h"
#include "clone/swap.h"
#include "clone/verify.h"
#include "common/format.h"
#include "common/fs.h"
#include "common/number.h"
#include "local/journal.h"
#include "local/layout.h"
#include "local/leftover.h"
#include "local/location.h"
#include "local/lock.h"
#include "local/service.h"
#include "primary/slot.h"
#include "primary/target.h"
#include "proc/child.h"

namespace pgreplica::replica {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kConfirmPollInterval{100};

// Records steps in the result, the job record and its log, and tells the observer.
class Steps {
 public:
  Steps(CloneResult& result, const CloneEvents& events, JobRecord* job, const JobStore* store)
      : result_(result), events_(events), job_(job), store_(store) {}

  void Begin(const std::string& name) {
    start_ = Clock::now();
    result_.steps.push_back({name, "running", UtcNow(), 0, ""});
    Publish();
  }
  void End(const std::string& status, const std::string& message) {
    JobStep& s = result_.steps.back();
    s.status = status;
    s.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    s.message = message;
    Publish();
  }
  // Ends the current step with the error's message and returns it.
  std::unexpected<Error> Failed(const Error& e) {
    End("failed", e.message);
    return std::unexpected(e);
  }
  void Log(const std::string& line) {
    if (job_ != nullptr && store_ != nullptr) (void)store_->AppendLog(*job_, line);
    if (events_.on_output) events_.on_output(line);
  }

 private:
  void Publish() {
    const JobStep& s = result_.steps.back();
    if (job_ != nullptr && store_ != nullptr)
      (void)store_->AppendLog(*job_, fmt::format("step {}: {}{}", s.name, s.status,
                                                 s.message.empty() ? "" : " (" + s.message + ")"));
    if (job_ != nullptr) {
      job_->steps = result_.steps;
      if (store_ != nullptr) (void)store_->Save(*job_);
    }
    if (events_.on_step) events_.on_step(s);
  }

  CloneResult& result_;
  const CloneEvents& events_;
  JobRecord* job_;
  const JobStore* store_;
  Clock::time_point start_;
};

bool Cancelled(const CloneEvents& e) { return e.cancel && e.cancel(); }

Error InterruptedError(const std::string& where) {
  return Error{ErrorKind::kInterrupted, fmt::format("clone interrupted {}", where),
               "The data directory was not changed; the staging directory and the slots this run "
               "created were "
               "removed.",
               "Run the clone again when you are ready."};
}

// ---- What a run has created, and how it is rolled back

// The logins that drop the slots a run created: the replication login (which created them),
// and the admin login (if there is one) to end a walsender that holds one.
struct SlotLogins {
  pg::ConnParams replication;
  pg::ConnParams admin;
};

// Drops a slot this tool created (the copy slot, or a new host slot). The
// walsender of a dead pg_basebackup may hold it for a while (its WAL helper
// notices the lost parent only at its next status interval), so after a few
// tries that walsender is ended through the admin login, if there is one.
// Returns the reason when the slot could not be dropped.
std::optional<std::string> DropOwnSlot(const SlotLogins& logins, const std::string& name) {
  auto dropped = DropSlotRetrying(
      [&]() -> Result<bool> {
        auto conn = pg::Connection::Open(logins.replication, "primary");
        if (!conn) return std::unexpected(conn.error());
        if (auto ok = DropSlot(*conn, name); !ok) return std::unexpected(ok.error());
        return true;
      },
      {.on_held = [&](int n) -> Status {
        if (n != 10) return {};
        if (auto admin = pg::Connection::Open(logins.admin, "primary"))
          (void)EndSlotWalsender(*admin, name);
        return {};
      }});
  if (dropped) return std::nullopt;
  return dropped.error().message;
}

// What this run has created and still owns: the staging directories (from the moment the copy
// step creates them) and the slots it created on the primary, in the order it created them.
// The swap hands the staging (then the data directory) and the host's slot over to the new
// standby (HandOver).
//
// Undoing is explicit and this is the normal path: every failure of the sequence goes through
// RollBack(), and a successful run ends with DropOwnSlots() (the temporary copy slot). The
// destructor is only the last resort for an exception or a return that skipped RollBack(): it
// removes the staging directories (local, through directory fds) and never touches the primary
// (no network I/O in a destructor); a slot left behind that way is dropped (the copy slot) or
// reused (the host's slot) by the next clone.
class Created {
 public:
  Created(const LocalLayout& layout, const proc::OsUser& owner, SlotLogins logins)
      : layout_(layout), owner_(owner), logins_(std::move(logins)) {}
  ~Created() { RemoveOwnStaging(); }
  Created(const Created&) = delete;
  Created& operator=(const Created&) = delete;

  void AddStaging() { staging_ = true; }
  void AddSlot(const std::string& name) { slots_.push_back(name); }
  // The swap succeeded: the copy is the data directory now and the new standby uses `slot`.
  void HandOver(const std::string& slot) {
    staging_ = false;
    std::erase(slots_, slot);
  }
  const SlotLogins& logins() const { return logins_; }

  // Removes the staging directories, if this run may have created them.
  void RemoveOwnStaging() {
    if (staging_) (void)RemoveStaging(layout_, owner_);
    staging_ = false;
  }
  // Drops the slots this run created and still owns; those that could not be dropped are
  // appended to `leftovers` as "\"name\" (reason)".
  void DropOwnSlots(std::vector<std::string>& leftovers) {
    for (const auto& name : slots_) {
      if (auto failed = DropOwnSlot(logins_, name))
        leftovers.push_back(fmt::format("\"{}\" ({})", name, *failed));
    }
    slots_.clear();
  }

 private:
  const LocalLayout& layout_;
  proc::OsUser owner_;
  SlotLogins logins_;
  bool staging_ = false;
  std::vector<std::string> slots_;
};

// Undoes what `made` still owns after the failure `why`, in this order: the staging
// directories are removed, then the slots this run created are dropped. Slots that cannot be
// dropped (the primary went away) are listed in result.leftover_slots and in the error.
// Returns `why` for the sequence to return.
std::unexpected<Error> RollBack(Created& made, Error why, CloneResult& result) {
  made.RemoveOwnStaging();
  made.DropOwnSlots(result.leftover_slots);
  if (!result.leftover_slots.empty()) {
    std::string list;
    for (const auto& s : result.leftover_slots) list += (list.empty() ? "" : ", ") + s;
    // A detail of program output ends with a line of its own: the sentence gets a new line.
    const char* sep = why.detail.empty()                           ? ""
                      : why.detail.find('\n') != std::string::npos ? "\n"
                                                                   : " ";
    why.detail += fmt::format(
        "{}These slots created by this run could not be dropped and keep WAL on the "
        "primary: {}.",
        sep, list);
    why.hint +=
        " The next clone drops them; or drop them on the primary with pg_drop_replication_slot().";
  }
  return std::unexpected(std::move(why));
}

// ---- Steps 1 and 2: lock and preflight (nothing is created yet)

// This host's side of the clone: the OS user, and the data directory as configured (the
// preflight adds the tablespaces).
struct Target {
  proc::OsUser user;
  LocalLayout layout;
};

Result<Target> ResolveTarget(const conf::Config& cfg) {
  if (auto ok = ValidateCloneConfig(cfg); !ok) return std::unexpected(ok.error());
  auto user = proc::LookupUser(cfg.local.os_user);
  if (!user) return std::unexpected(user.error());
  auto resolved =
      ResolveLocation(cfg.local.data_directory, {.configured = true, .os_user = user->uid});
  if (!resolved) return std::unexpected(resolved.error().Context("invalid data directory"));
  return Target{std::move(*user), LocalLayout{std::move(*resolved), {}, {}, UtcStamp()}};
}

// Step 1: the data directory's lock. A dry run creates nothing, not even the lock file; it
// only says whether a run holds it (and returns no lock).
Result<std::optional<FileLock>> LockDataDirectory(const conf::Config& cfg, const Location& data,
                                                  bool dry_run, Steps& steps) {
  const std::string what = fmt::format("data directory \"{}\"", data.real);
  steps.Begin("lock");
  if (dry_run) {
    if (auto free = FileLock::Probe(data, cfg.state_directory, what); !free)
      return steps.Failed(free.error());
    steps.End("ok", "not locked (a dry run takes no lock)");
    return std::nullopt;
  }
  auto taken = FileLock::Acquire(data, cfg.state_directory, what);
  if (!taken) return steps.Failed(taken.error());
  steps.End("ok", taken->path());
  return std::optional<FileLock>(std::move(*taken));
}

// Locks every location the copy will write (the data directory's lock was taken first):
// each tablespace location, so that two clones never share one.
Result<std::vector<FileLock>> LockTablespaces(const LocalLayout& layout,
                                              const std::string& state_directory) {
  std::vector<FileLock> locks;
  for (const auto& t : layout.tablespaces) {
    auto l = FileLock::Acquire(t.local, state_directory,
                               fmt::format("tablespace location \"{}\"", t.local.real));
    if (!l) return std::unexpected(l.error());
    locks.push_back(std::move(*l));
  }
  return locks;
}

// Ends the pg_basebackup processes a killed run left (dry runs only report them).
std::vector<int> EndLeftovers(const Location& data, const proc::OsUser& user, bool dry_run,
                              std::vector<int>& still_running) {
  auto pids = FindLeftoverCopies(data.SiblingPath(kStagingSuffix), user.uid);
  if (pids.empty() || dry_run) {
    still_running = pids;
    return {};
  }
  still_running = EndLeftoverCopies(pids, std::chrono::seconds(10));
  std::erase_if(pids,
                [&](int p) { return std::ranges::find(still_running, p) != still_running.end(); });
  return pids;
}

std::string PreflightSummary(const CheckReport& report, const std::vector<int>& ended) {
  return fmt::format("{} checks passed, {} warnings{}",
                     report.items.size() - report.Count(CheckStatus::kWarning),
                     report.Count(CheckStatus::kWarning),
                     ended.empty() ? ""
                                   : fmt::format("; ended {} pg_basebackup process(es) left by an "
                                                 "interrupted run",
                                                 ended.size()));
}

// Step 2: puts back a swap a killed run left half done, ends the copy it left running (a dry
// run only reports both), runs every check into result.preflight (clone/preflight.h), and
// locks the tablespace locations the copy will write (a dry run locks none).
Result<std::vector<FileLock>> Preflight(const conf::Config& cfg, const CloneOptions& options,
                                        const proc::OsUser& user, LocalLayout& layout,
                                        CloneResult& result, Steps& steps) {
  steps.Begin("preflight");
  // A swap that a killed run left half done is put back before anything else is judged.
  auto recovered =
      RecoverInterruptedSwap(cfg.state_directory, layout.data.real, user, options.dry_run);
  if (!recovered) return steps.Failed(recovered.error());
  if (!recovered->empty() && !options.dry_run) {
    auto again =
        ResolveLocation(cfg.local.data_directory, {.configured = true, .os_user = user.uid});
    if (!again) return steps.Failed(again.error());
    layout.data = std::move(*again);
  }
  std::vector<int> leftovers;
  std::vector<int> ended = EndLeftovers(layout.data, user, options.dry_run, leftovers);
  PreflightInputs inputs{cfg,   user,      result.slot, options.force,  layout,
                         ended, leftovers, *recovered,  options.dry_run};
  result.preflight = RunPreflight(inputs);
  const CheckReport& report = result.preflight->report;
  if (!report.ok()) {
    return steps.Failed(Error{
        ErrorKind::kCheckFailed,
        fmt::format("preflight failed: {} problem(s) found", report.Count(CheckStatus::kFail)),
        "Nothing was changed.", "Fix the items marked FAIL and run again."});
  }
  std::vector<FileLock> tablespace_locks;
  if (!options.dry_run) {
    if (!leftovers.empty()) {
      return steps.Failed(
          Error{ErrorKind::kCheckFailed, "could not end a copy left by an interrupted run",
                fmt::format("pg_basebackup (pid {}) still runs after SIGKILL.", leftovers.front()),
                "Find out why the process does not end, then run again."});
    }
    auto locks = LockTablespaces(layout, cfg.state_directory);
    if (!locks) return steps.Failed(locks.error());
    tablespace_locks = std::move(*locks);
  }
  steps.End("ok", PreflightSummary(report, ended));
  return tablespace_locks;
}

// ---- Step 3: slot

// Step 3: the host's slot is created with WAL reserved (or reused as it is), and when the copy
// streams through a temporary copy slot, that one is created after a killed run's leftover of
// it is dropped. What this run creates is recorded in `made`.
Status CreateSlots(const ClonePlan& plan, Created& made, Steps& steps) {
  steps.Begin("slot");
  auto conn = pg::Connection::Open(made.logins().replication, "primary");
  if (!conn) return steps.Failed(conn.error());
  std::string message;
  auto created = CreatePhysicalSlot(*conn, plan.slot);
  if (!created) return steps.Failed(created.error());
  if (*created) made.AddSlot(plan.slot);
  message = *created ? fmt::format("created slot \"{}\" with WAL reserved", plan.slot)
                     : fmt::format("reusing slot \"{}\"", plan.slot);
  if (plan.copy_slot != plan.slot) {
    // A leftover of a killed run, possibly still held by its walsender.
    if (auto failed = DropOwnSlot(made.logins(), plan.copy_slot)) {
      return steps.Failed(Error{
          ErrorKind::kCheckFailed,
          fmt::format("could not drop the copy slot \"{}\" left by an earlier run", plan.copy_slot),
          *failed, "Drop it on the primary with pg_drop_replication_slot() and run again."});
    }
    auto copy = CreatePhysicalSlot(*conn, plan.copy_slot);
    if (!copy) return steps.Failed(copy.error());
    made.AddSlot(plan.copy_slot);
    message += fmt::format("; created temporary copy slot \"{}\"", plan.copy_slot);
  }
  steps.End("ok", message);
  return {};
}

// ---- Step 4: copy into staging

// Creates the staging directories (owned by the OS user, through the parents' fds) and
// returns the identity of the data directory's, which the swap checks before moving it.
Result<FileId> MakeStaging(const LocalLayout& layout, const proc::OsUser& user) {
  Owner owner{user.uid, user.gid};
  for (const auto& t : layout.tablespaces) {
    if (auto ok = t.local.parent.MakeDir(t.local.Sibling(kStagingSuffix), 0700, owner); !ok)
      return std::unexpected(ok.error());
  }
  const Location& data = layout.data;
  if (auto ok = data.parent.MakeDir(data.Sibling(kStagingSuffix), 0700, owner); !ok)
    return std::unexpected(ok.error());
  auto st = data.parent.Stat(data.Sibling(kStagingSuffix));
  if (!st || !*st) return std::unexpected(st ? ErrnoError(ENOENT, "staging vanished") : st.error());
  return FileId{(*st)->st_dev, (*st)->st_ino};
}

// pg_basebackup named the copy slot in primary_slot_name; the standby uses the host's slot.
// The file belongs to the OS user in a directory it writes: opened without following a link,
// and only if it is its own regular file with one name.
// Appends `line` to the staged copy's postgresql.auto.conf (a later line wins).
Status AppendToCopyAutoConf(const Location& data, const std::string& line, const proc::OsUser& user,
                            const std::string& what) {
  auto staging = data.parent.OpenDir(data.Sibling(kStagingSuffix));
  if (!staging) return std::unexpected(staging.error());
  auto fd = staging->OpenFile("postgresql.auto.conf", O_WRONLY | O_APPEND);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0 || st.st_uid != user.uid || st.st_nlink != 1)
    return Fail(
        ErrorKind::kInsecureFile,
        fmt::format("\"{}\" is not the copy's own file", staging->PathOf("postgresql.auto.conf")),
        "It must be a regular file of the PostgreSQL OS user with a single name.");
  if (write(fd->get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      fsync(fd->get()) != 0)
    return std::unexpected(ErrnoError(errno, "could not set " + what + " in the copy"));
  return {};
}

Status SetSlotInCopy(const Location& data, const std::string& slot, const proc::OsUser& user) {
  return AppendToCopyAutoConf(data, fmt::format("primary_slot_name = '{}'\n", slot), user,
                              "primary_slot_name");
}

// A pg_basebackup newer than the primary writes options into primary_conninfo that the
// standby's older libpq refuses (PrimaryConninfoForServer); they are left out again.
Status FitConninfoToServer(const Location& data, int server_major, const proc::OsUser& user,
                           Steps& steps) {
  if (server_major <= 0) return {};  // unknown: left as pg_basebackup wrote it
  auto staging = data.parent.OpenDir(data.Sibling(kStagingSuffix));
  if (!staging) return std::unexpected(staging.error());
  auto text = staging->ReadFile("postgresql.auto.conf");
  if (!text) return std::unexpected(text.error());
  auto line = PrimaryConninfoForServer(*text, server_major);
  if (!line) return {};
  steps.Log(fmt::format(
      "primary_conninfo written again without the options PostgreSQL {}'s libpq does not know",
      server_major));
  return AppendToCopyAutoConf(data, *line, user, "primary_conninfo");
}

// With the built-in verifier, checksums the copy's files as pg_basebackup closes them
// (clone/copy_watch.h). Not being able to watch only makes the verification read more.
std::unique_ptr<CopyWatcher> WatchCopy(const conf::Config& cfg, const LocalLayout& layout,
                                       std::deque<Dir>& dirs, Steps& steps) {
  if (cfg.clone.verify != "builtin") return nullptr;
  std::vector<const Dir*> roots;
  auto open = [&](const Location& l) {
    auto d = l.parent.OpenDir(l.Sibling(kStagingSuffix));
    if (!d) return false;
    dirs.push_back(std::move(*d));
    roots.push_back(&dirs.back());
    return true;
  };
  if (!open(layout.data)) return nullptr;
  for (const auto& t : layout.tablespaces)
    if (!open(t.local)) return nullptr;
  auto w = CopyWatcher::Start(roots);
  if (!w) {
    steps.Log("verify: not checksumming during the copy: " + w.error().message);
    return nullptr;
  }
  return std::move(*w);
}

// Step 4: pg_basebackup copies into the staging directories (recorded in `made` before they are
// created), the built-in verifier checksumming files as they are closed (`sums`); then the
// copy's postgresql.auto.conf is fitted to this standby. Returns the identity of the data
// staging directory, which the swap checks.
Result<FileId> CopyIntoStaging(const conf::Config& cfg, const ClonePlan& plan,
                               const LocalLayout& layout, const proc::OsUser& user,
                               const CloneEvents& events, Created& made, PrecomputedSums& sums,
                               Steps& steps) {
  steps.Begin("copy");
  made.AddStaging();
  auto staged = MakeStaging(layout, user);
  if (!staged) return steps.Failed(staged.error());
  std::deque<Dir> watched;
  auto watcher = WatchCopy(cfg, layout, watched, steps);
  CopyProgress last;
  CopyHooks hooks{.on_progress =
                      [&](const CopyProgress& p) {
                        last = p;
                        if (events.on_progress) events.on_progress(p);
                      },
                  .on_output = [&](const std::string& l) { steps.Log("pg_basebackup: " + l); },
                  .cancel = events.cancel};
  auto ok = RunBasebackup(BasebackupSpecFor(cfg, plan, layout), user, plan.pgpass_file, hooks);
  if (watcher) sums = watcher->Finish();
  if (!ok) {
    Error e = ok.error().kind == ErrorKind::kInterrupted ? InterruptedError("during the copy")
                                                         : ok.error();
    return steps.Failed(e);
  }
  if (plan.copy_slot != plan.slot) {
    if (auto set = SetSlotInCopy(layout.data, plan.slot, user); !set)
      return steps.Failed(set.error());
  }
  if (auto fit = FitConninfoToServer(layout.data, plan.primary_major, user, steps); !fit)
    return steps.Failed(fit.error());
  steps.End("ok", fmt::format("copied {} in {:.1f} s{}, {}",
                              HumanBytes(static_cast<std::int64_t>(last.done_bytes)),
                              last.elapsed_seconds,
                              layout.tablespaces.empty()
                                  ? ""
                                  : fmt::format(" ({} tablespace(s))", layout.tablespaces.size()),
                              plan.compress_note.empty() ? "uncompressed" : plan.compress_note));
  return *staged;
}

// ---- Step 5: verify

// Whether the verifiers parse the WAL the copy needs with pg_waldump (pg_verifybackup without
// -n; the built-in verifier's WAL check): only with programs of the primary's major version.
WalCheck WalCheckOfCopy(const ClonePlan& plan) {
  return ChooseWalCheck(plan.verifier_major, plan.primary_major);
}

Error VerificationFailed(const std::string& detail) {
  return Error{ErrorKind::kChildFailed, "the copy failed verification against its backup manifest",
               detail, "The copy was removed and nothing was changed; run the clone again."};
}

Status VerifyWithPgVerifybackup(const ClonePlan& plan, const proc::OsUser& user,
                                const CloneEvents& events, Steps& steps) {
  WalCheck wal = WalCheckOfCopy(plan);
  std::vector<std::string> argv = {plan.client_bindir + "/pg_verifybackup"};
  if (!wal.parse) argv.push_back("--no-parse-wal");
  argv.push_back(plan.staging);
  if (!wal.parse) steps.Log(wal.explanation);
  auto r = proc::Run({.argv = argv, .run_as = user, .cwd = "/", .die_with_parent = true},
                     {.on_line = [&](const std::string& l) { steps.Log("pg_verifybackup: " + l); },
                      .cancel = events.cancel});
  if (!r) return steps.Failed(r.error());
  if (r->status.cancelled) return steps.Failed(InterruptedError("during verification"));
  if (!r->status.ok()) {
    std::string out = r->output;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return steps.Failed(VerificationFailed(out));
  }
  steps.End("ok", wal.parse ? "pg_verifybackup: the copy matches its manifest"
                            : "pg_verifybackup: the copy's files match its manifest; its WAL was "
                              "not checked (" +
                                  wal.explanation + ")");
  return {};
}

// The built-in verifier (clone/verify.h) over the staged data directory and tablespaces,
// with pg_waldump checking the manifest's WAL ranges (as the OS user) while the files are read.
Status VerifyBuiltin(const ClonePlan& plan, const LocalLayout& layout, const proc::OsUser& user,
                     const PrecomputedSums& sums, const CloneEvents& events, Steps& steps) {
  auto started = Clock::now();
  auto data = layout.data.parent.OpenDir(layout.data.Sibling(kStagingSuffix));
  if (!data) return steps.Failed(data.error());
  std::deque<Dir> staged;
  VerifyTarget target{.data = &*data, .precomputed = &sums, .cancel = events.cancel};
  for (const auto& t : layout.tablespaces) {
    auto d = t.local.parent.OpenDir(t.local.Sibling(kStagingSuffix));
    if (!d) return steps.Failed(d.error());
    staged.push_back(std::move(*d));
    target.tablespaces[t.oid] = &staged.back();
  }
  WalCheck wal = WalCheckOfCopy(plan);
  if (!wal.parse) steps.Log(wal.explanation);
  auto report = VerifyBackup(
      target, {.parse = wal.parse,
               .bindir = plan.client_bindir,
               .wal_dir = plan.staging + "/pg_wal",
               .run_as = user,
               .on_line = [&](const std::string& l) { steps.Log("pg_waldump: " + l); }});
  if (!report) return steps.Failed(report.error());
  if (report->cancelled) return steps.Failed(InterruptedError("during verification"));
  const std::vector<std::string>& problems = report->problems;
  for (const auto& p : problems) steps.Log("verify: " + p);
  if (!problems.empty()) {
    std::string detail;
    for (std::size_t i = 0; i < problems.size() && i < 10; ++i)
      detail += (i == 0 ? "" : "\n") + problems[i];
    if (problems.size() > 10)
      detail += fmt::format("\n... and {} more problem(s); see the job log", problems.size() - 10);
    return steps.Failed(VerificationFailed(detail));
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  steps.End("ok", fmt::format("the copy matches its manifest: {} files checked in {:.1f} s, {} "
                              "of them by their checksum taken during the copy, {} read now "
                              "({} readers, CRC-32C {}){}",
                              report->files, seconds, report->reused_files,
                              HumanBytes(static_cast<std::int64_t>(report->bytes)),
                              std::clamp(std::thread::hardware_concurrency(), 1u, 8u),
                              Crc32cHardware() ? "in hardware" : "in software",
                              wal.parse ? "; WAL parsed with pg_waldump"
                                        : "; its WAL was not checked (" + wal.explanation + ")"));
  return {};
}

Status Verify(const conf::Config& cfg, const ClonePlan& plan, const LocalLayout& layout,
              const proc::OsUser& user, const PrecomputedSums& sums, const CloneEvents& events,
              Steps& steps) {
  steps.Begin("verify");
  if (cfg.clone.verify == "off") {
    steps.End("skipped", "--no-verify");
    return {};
  }
  if (cfg.clone.verify == "pg_verifybackup")
    return VerifyWithPgVerifybackup(plan, user, events, steps);
  return VerifyBuiltin(plan, layout, user, sums, events, steps);
}

// ---- Step 6: swap

// The staged copy's tablespace links point at the staged tablespace directories (so that
// pg_verifybackup reads them there); after the swap they must point at the final locations.
Status PointCopyAtFinalTablespaces(const LocalLayout& layout, const proc::OsUser& user) {
  if (layout.tablespaces.empty()) return {};
  std::vector<TablespaceLink> links;
  for (const auto& t : layout.tablespaces) links.push_back({t.oid, t.local.configured});
  auto staging = layout.data.parent.OpenDir(layout.data.Sibling(kStagingSuffix));
  if (!staging) return std::unexpected(staging.error());
  return Relink(*staging, links, Owner{user.uid, user.gid});
}

// Step 6: points the copy's tablespace links at their final locations and swaps it in
// (clone/swap.h: on failure the old data directory is back in place, running if it ran);
// records the old directory and the downtime in `result`.
Result<SwapOutcome> Swap(const conf::Config& cfg, const ClonePlan& plan, const LocalLayout& layout,
                         const proc::OsUser& user, const FileId& staged, CloneResult& result,
                         Steps& steps) {
  steps.Begin("swap");
  if (auto ok = PointCopyAtFinalTablespaces(layout, user); !ok) return steps.Failed(ok.error());
  auto service = MakeService(cfg.local.service, {plan.bindir, layout.data.configured, user,
                                                 cfg.local.port, cfg.clone.confirm_timeout});
  if (!service) return steps.Failed(service.error());
  auto journal = JournalFile::Open(cfg.state_directory, layout.data.real, /*create=*/true);
  if (!journal) return steps.Failed(journal.error());
  auto swapped = SwapIn(
      {.layout = layout, .staged_data = staged, .os_user = user, .journal = &*journal}, **service);
  if (!swapped) return steps.Failed(swapped.error());
  result.old_directory = swapped->old_directory;
  result.downtime_seconds = swapped->downtime_seconds;
  result.start_seconds = swapped->start_seconds;
  steps.End("ok", swapped->was_running
                      ? fmt::format("stopped the old standby and started the new one with {}: "
                                    "unavailable for {:.1f} s, {:.1f} s of it the start",
                                    (*service)->Describe(), swapped->downtime_seconds,
                                    swapped->start_seconds)
                      : fmt::format("started with {} in {:.1f} s", (*service)->Describe(),
                                    swapped->start_seconds));
  return swapped;
}

// ---- Step 7: confirm

// Step 7: waits up to clone.confirm_timeout until the new standby streams through its slot
// (result.confirm holds what was seen last). Skipped when neither side can be asked.
Status Confirm(const conf::Config& cfg, const ClonePlan& plan, const CloneEvents& events,
               CloneResult& result, Steps& steps) {
  steps.Begin("confirm");
  auto deadline = Clock::now() + std::chrono::seconds(cfg.clone.confirm_timeout);
  ConfirmFacts f;
  while (true) {
    f = AskWhetherStreaming(cfg, plan.data_real, plan.slot);
    if (StreamsThroughSlot(f, plan.slot) || Clock::now() > deadline || Cancelled(events)) break;
    // The WAL receiver usually streams within a few hundred milliseconds of the start; a short
    // interval keeps the confirmation from adding up to a whole interval to every clone (one
    // admin login and one query on the primary per poll).
    std::this_thread::sleep_for(kConfirmPollInterval);
  }
  result.confirm = f;
  if (Cancelled(events) && !StreamsThroughSlot(f, plan.slot)) {
    return steps.Failed(Error{
        ErrorKind::kInterrupted, "clone interrupted after the swap",
        fmt::format("The new standby is in place and was started; streaming was not confirmed. "
                    "The previous data directory is kept in \"{}\".",
                    result.old_directory.empty() ? "(none)" : result.old_directory),
        fmt::format("Look at the server log ({}) to see how it is doing.",
                    ServiceLogFile(cfg.local.service, plan.data_directory))});
  }
  if (!f.verified) {
    steps.End("skipped",
              "could not connect to the standby or the primary with the admin login to confirm");
    return {};
  }
  if (!StreamsThroughSlot(f, plan.slot)) {
    return steps.Failed(Error{
        ErrorKind::kCheckFailed, "the new standby runs but does not stream from the primary",
        fmt::format("In recovery: {}; WAL receiver: \"{}\" via slot \"{}\"; slot active on the "
                    "primary: {}.",
                    f.in_recovery ? (*f.in_recovery ? "yes" : "no") : "unknown", f.receiver_status,
                    f.receiver_slot, f.slot_active ? (*f.slot_active ? "yes" : "no") : "unknown"),
        fmt::format("See the server log ({}). The previous data directory is kept in \"{}\".",
                    ServiceLogFile(cfg.local.service, plan.data_directory),
                    result.old_directory.empty() ? "(none)" : result.old_directory)});
  }
  std::string lag =
      f.replay_lag_bytes ? fmt::format("; replay lag {} bytes", *f.replay_lag_bytes) : "";
  steps.End("ok", fmt::format("in recovery and streaming through slot \"{}\"{}", plan.slot, lag));
  return {};
}

// --if-needed: sets result.already_streaming (and result.confirm) when the standby in
// `data_real` streams from the configured primary through result.slot; an error when a
// standby runs there and the primary cannot be asked.
Status AskIfNeeded(const conf::Config& cfg, const std::string& data_real, CloneResult& result) {
  ConfirmFacts f = AskWhetherStreaming(cfg, data_real, result.slot);
  std::string want = fmt::format("{}:{}", cfg.primary.host, cfg.primary.port);
  if (f.in_recovery.value_or(false) && f.receiver_status == "streaming" &&
      f.receiver_slot == result.slot && f.sender == want) {
    result.already_streaming = true;
    result.confirm = f;
    return {};
  }
  if (!f.verified && f.in_recovery.value_or(false)) {
    return Fail(ErrorKind::kCheckFailed, "cannot tell whether the running standby already streams",
                "--if-needed asks the primary whether this host's slot is held by a streaming "
                "walsender, and the admin login to the primary failed.",
                "Check primary.admin_user and primary.admin_passfile, or run without --if-needed "
                "to re-clone.");
  }
  return {};
}

// ---- Step 8: clean up

// Step 8: removes what the swap moved aside when it was empty, and old copies beyond
// clone.keep_old (result.removed_old). Problems only make the step a warning.
void CleanUp(const conf::Config& cfg, const ClonePlan& plan, const LocalLayout& layout,
             const proc::OsUser& user, const SwapOutcome& swapped, CloneResult& result,
             Steps& steps) {
  steps.Begin("cleanup");
  auto empty = RemoveEmptyMoved(layout.data, swapped.moved);
  if (std::ranges::find(empty, result.old_directory) != empty.end()) result.old_directory.clear();
  std::vector<std::string> problems;
  std::vector<std::string> trusted_parents;
  for (const auto& t : layout.tablespaces)
    if (t.mapped) trusted_parents.push_back(t.local.parent.path());
  result.removed_old =
      PruneOldCopies(layout.data, cfg.clone.keep_old, user, trusted_parents, &problems);
  if (cfg.clone.keep_old == 0) result.old_directory.clear();
  std::string notes;
  for (const auto& p : problems) notes += "; could not remove " + p;
  const std::string copy_prefix = layout.data.SiblingPath(kOldInfix);
  auto copies = std::ranges::count_if(
      result.removed_old, [&](const std::string& p) { return p.starts_with(copy_prefix); });
  auto others = static_cast<std::ptrdiff_t>(result.removed_old.size()) - copies;
  steps.End(problems.empty() ? "ok" : "warning",
            fmt::format("{} old cop{} removed{}{}{}", copies, copies == 1 ? "y" : "ies",
                        others > 0 ? fmt::format(" (with {} tablespace or empty director{})",
                                                 others, others == 1 ? "y" : "ies")
                                   : "",
                        plan.copy_slot != plan.slot ? "; temporary copy slot dropped" : "", notes));
}

// ---- The sequence

// The clone, top to bottom: lock, preflight, slot, copy into staging, verify, swap, confirm,
// clean up (RunClone's caller records the job). Each step is one call, and a failure returns
// at once:
// - before the slot step nothing has been created, and nothing is undone;
// - from the slot step on, what the run creates is listed in `made`, and every failure goes
//   through RollBack(): staging is removed, then the slots this run created are dropped. The
//   data directory has not changed before the swap; a failing swap itself puts the old data
//   directory back first (SwapIn);
// - after the swap the new standby stays: only the temporary copy slot is dropped.
// An interruption (events.cancel) stops the copy or the verification with an error like any
// other and is rolled back the same way; once the swap has begun it is finished first.
// The locks are released when Run returns, after the rollback.
Status Run(const conf::Config& cfg, const CloneOptions& options, const CloneEvents& events,
           CloneResult& result, Steps& steps) {
  auto target = ResolveTarget(cfg);
  if (!target) return std::unexpected(target.error());
  const proc::OsUser& user = target->user;
  LocalLayout& layout = target->layout;
  if (options.if_needed) {
    if (auto ok = AskIfNeeded(cfg, layout.data.real, result); !ok || result.already_streaming)
      return ok;
  }
  if (auto ok = proc::CanActAs(user); !ok) return ok;

  // Lock and preflight: nothing is created yet.
  auto lock = LockDataDirectory(cfg, layout.data, options.dry_run, steps);
  if (!lock) return std::unexpected(lock.error());
  auto tablespace_locks = Preflight(cfg, options, user, layout, result, steps);
  if (!tablespace_locks) return std::unexpected(tablespace_locks.error());
  if (options.dry_run) return {};
  if (Cancelled(events)) return std::unexpected(InterruptedError("before the copy"));
  if (auto ok = RemoveStaging(layout, user); !ok)
    return std::unexpected(ok.error().Context("could not remove a staging directory left behind"));

  // Slot, copy, verify: what they create goes into `made`; any failure rolls it back.
  const ClonePlan& plan = result.preflight->plan;
  Created made(layout, user,
               {PrimaryReplicationParams(cfg, result.preflight->replication_password, ""),
                PrimaryAdminParams(cfg)});
  if (auto ok = CreateSlots(plan, made, steps); !ok) return RollBack(made, ok.error(), result);
  PrecomputedSums sums;
  auto staged = CopyIntoStaging(cfg, plan, layout, user, events, made, sums, steps);
  if (!staged) return RollBack(made, staged.error(), result);
  if (auto ok = Verify(cfg, plan, layout, user, sums, events, steps); !ok)
    return RollBack(made, ok.error(), result);
  if (Cancelled(events)) return RollBack(made, InterruptedError("before the swap"), result);

  // Swap: a failure has put the old data directory back; staging and the slots are rolled back.
  auto swapped = Swap(cfg, plan, layout, user, *staged, result, steps);
  if (!swapped) return RollBack(made, swapped.error(), result);
  made.HandOver(plan.slot);

  // Confirm and clean up: the new standby stays whatever happens; the copy slot is dropped.
  if (auto ok = Confirm(cfg, plan, events, result, steps); !ok)
    return RollBack(made, ok.error(), result);
  CleanUp(cfg, plan, layout, user, *swapped, result, steps);
  made.DropOwnSlots(result.leftover_slots);  // the temporary copy slot, if there was one
  result.completed = true;
  return {};
}

}  // namespace

Status ValidateCloneConfig(const conf::Config& cfg) {
  if (cfg.local.data_directory.empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no data directory given",
                "local.data_directory is not set and --data-directory was not given.",
                "Set local.data_directory to the standby's data directory.");
  }
  return conf::RequirePrimaryHost(cfg);
}

WalCheck ChooseWalCheck(int verifier_major, int primary_major) {
  // Unknown versions: pg_verifybackup's full check, as before the version rule.
  if (verifier_major == primary_major || verifier_major <= 0 || primary_major <= 0)
    return {true, ""};
  return {false,
          fmt::format(
              "pg_verifybackup and pg_waldump {} read only PostgreSQL {}'s WAL, the primary runs "
              "PostgreSQL {}: the standby checks the WAL as it replays it",
              verifier_major, verifier_major, primary_major)};
}

std::string ResolveSlotName(const conf::Config& config) {
  return config.replication.slot.empty() ? DefaultSlotName(ShortHostname())
                                         : config.replication.slot;
}

CloneResult RunClone(const conf::Config& config, const CloneOptions& options,
                     const CloneEvents& events, JobRecord* job, const JobStore* store) {
  CloneResult result;
  result.dry_run = options.dry_run;
  result.slot = ResolveSlotName(config);
  Steps steps(result, events, job, store);
  if (auto ok = Run(config, options, events, result, steps); !ok) result.error = ok.error();
  return result;
}

CloneResult CheckIfNeeded(const conf::Config& config, bool dry_run) {
  CloneResult result;
  result.dry_run = dry_run;
  result.slot = ResolveSlotName(config);
  auto target = ResolveTarget(config);
  Status ok = target ? AskIfNeeded(config, target->layout.data.real, result)
                     : Status(std::unexpected(target.error()));
  if (!ok) result.error = ok.error();
  return result;
}

nlohmann::json CloneResult::ToJson() const {
  nlohmann::json steps_json = nlohmann::json::array();
  for (const auto& s : steps)
    steps_json.push_back(
        {{"name", s.name}, {"status", s.status}, {"seconds", s.seconds}, {"message", s.message}});
  nlohmann::json j = {{"ok", !error.has_value()},   {"dry_run", dry_run},
                      {"completed", completed},     {"slot", slot},
                      {"steps", steps_json},        {"confirm", confirm.ToJson()},
                      {"removed_old", removed_old}, {"leftover_slots", leftover_slots}};
  j["already_streaming"] = already_streaming;
  j["swap"] = {{"downtime_seconds", downtime_seconds}, {"start_seconds", start_seconds}};
  j["old_directory"] = old_directory.empty() ? nlohmann::json() : nlohmann::json(old_directory);
  if (preflight) {
    j["preflight"] = pgreplica::ToJson(preflight->report);
    j["plan"] = preflight->plan.ToJson();
  }
  if (error) j["error"] = ErrorJson(*error);
  return j;
}

}  // namespace pgreplica::replica
