#include "decommission/decommission.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "common/format.h"
#include "common/fs.h"
#include "common/text.h"
#include "conf/validate.h"
#include "jobs/jobs.h"
#include "local/datadir.h"
#include "local/journal.h"
#include "local/layout.h"
#include "local/leftover.h"
#include "local/location.h"
#include "local/lock.h"
#include "local/service.h"
#include "local/tablespaces.h"
#include "pg/binaries.h"
#include "pg/connection.h"
#include "primary/slot.h"
#include "primary/target.h"
#include "proc/user.h"

namespace pgreplica::replica {

Result<std::string> SlotForNode(const std::string& node) {
  if (auto p = conf::CheckNodeName(node)) {
    return Fail(ErrorKind::kUsage, fmt::format("invalid node name \"{}\"", Printable(node)), *p,
                "Pass the replica's host name (its slot is node_<short name>_slot), or its slot "
                "with --slot.");
  }
  return DefaultSlotName(node);
}

nlohmann::json DecommissionResult::ToJson() const {
  return {
      {"ok", true},
      {"changed", changed()},
      {"slot", slot},
      {"slot_existed", slot_existed},
      {"slot_was_active", slot_was_active},
      {"slot_dropped", slot_dropped},
      {"terminated_pid", terminated_pid},
      {"released_bytes", released_bytes ? nlohmann::json(*released_bytes) : nlohmann::json()},
      {"stopped", stopped},
      {"data_moved_to", data_moved_to.empty() ? nlohmann::json() : nlohmann::json(data_moved_to)},
      {"actions", actions}};
}

namespace {

// One try at dropping `slot` through SQL: true when dropped, false when there was none.
Result<bool> DropSlotSql(pg::Connection& conn, const std::string& slot) {
  auto dropped = conn.Exec("SELECT pg_drop_replication_slot($1)", {slot});
  if (dropped) return true;
  if (dropped.error().sqlstate == kUndefinedObject) return false;
  return std::unexpected(dropped.error());
}

Status DropSlotOnPrimary(const conf::Config& cfg, const DecommissionOptions& o,
                         DecommissionResult& r) {
  auto conn = pg::Connection::Open(PrimaryAdminParams(cfg), "primary");
  if (!conn) return std::unexpected(conn.error());
  auto info = conn->Exec(
      "SELECT active, coalesce(active_pid, 0), "
      "CASE WHEN restart_lsn IS NULL THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), "
      "restart_lsn)::bigint END "
      "FROM pg_replication_slots WHERE slot_name = $1",
      {o.slot});
  if (!info) return std::unexpected(info.error());
  if (info->rows() == 0) {
    r.actions.push_back(
        fmt::format("slot \"{}\" does not exist on the primary: nothing to drop", o.slot));
    return {};
  }
  r.slot_existed = true;
  r.slot_was_active = info->Get(0, 0) == "t";
  auto active_pid = info->GetInt(0, 1);
  if (!active_pid) return std::unexpected(active_pid.error());
  int pid = *active_pid;
  if (!info->IsNull(0, 2)) {
    auto released = info->GetInt64(0, 2);
    if (!released) return std::unexpected(released.error());
    r.released_bytes = *released;
  }
  // In a dry run with --stop, the local standby holding the slot would be stopped first.
  bool inactive_after_stop = r.slot_was_active && r.would_stop;
  if (r.slot_was_active && !o.force && !inactive_after_stop) {
    return Fail(ErrorKind::kCheckFailed, fmt::format("slot \"{}\" is active", o.slot),
                fmt::format("Walsender pid {} streams through it: a standby still uses it.", pid),
                "Stop that standby first (pgreplica decommission --stop on its host), or pass "
                "--force to end "
                "its connection and drop the slot.");
  }
  std::string what = fmt::format(
      "drop slot \"{}\"{}", o.slot,
      r.released_bytes ? fmt::format(", releasing {} of WAL", HumanBytes(*r.released_bytes)) : "");
  if (o.dry_run) {
    if (r.slot_was_active && !inactive_after_stop)
      r.actions.push_back(fmt::format("would end walsender pid {}", pid));
    r.actions.push_back("would " + what);
    return {};
  }
  auto end_walsender = [&]() -> Status {
    if (auto ok = EndSlotWalsender(*conn, o.slot); !ok) return ok;
    r.terminated_pid = pid;
    return {};
  };
  if (r.slot_was_active) {
    if (auto ok = end_walsender(); !ok) return ok;
  }
  // A standby whose walsender was ended may reconnect at once: it is ended again every 10 tries.
  auto dropped = DropSlotRetrying(
      [&] { return DropSlotSql(*conn, o.slot); }, {.on_held = [&](int n) -> Status {
        return r.slot_was_active && (n + 1) % 10 == 0 ? end_walsender() : Status{};
      }});
  if (!dropped && dropped.error().sqlstate == kObjectInUse) {
    return Fail(ErrorKind::kCheckFailed, fmt::format("slot \"{}\" stayed active", o.slot),
                "Its client reconnected at once after its walsender was ended.",
                "Stop that standby, then run decommission again.");
  }
  if (!dropped) return std::unexpected(dropped.error());
  if (!*dropped) {  // dropped meanwhile by someone else
    r.actions.push_back(fmt::format("slot \"{}\" disappeared meanwhile: nothing to drop", o.slot));
    return {};
  }
  r.slot_dropped = true;
  if (r.terminated_pid) r.actions.push_back(fmt::format("ended walsender pid {}", pid));
  r.actions.push_back(what);
  return {};
}

// The temporary slot a clone of this replica copies through (CloneSlotName): left behind by a
// killed clone, it would keep WAL on the primary for ever. Dropped when inactive; an active one
// belongs to a clone that runs now and is left alone.
Status DropCopySlot(const conf::Config& cfg, const DecommissionOptions& o, DecommissionResult& r) {
  const std::string copy = CloneSlotName(o.slot);
  auto conn = pg::Connection::Open(PrimaryAdminParams(cfg), "primary");
  if (!conn) return std::unexpected(conn.error());
  // A walsender of a copy just ended may hold it a moment longer; otherwise an active copy slot
  // belongs to a clone that runs now.
  auto dropped = DropSlotRetrying(
      [&]() -> Result<bool> {
        auto info =
            conn->Exec("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {copy});
        if (!info) return std::unexpected(info.error());
        if (info->rows() == 0) return false;
        if (info->Get(0, 0) == "t")
          return std::unexpected(Error{.kind = ErrorKind::kQuery,
                                       .message = "the copy slot is active",
                                       .sqlstate = kObjectInUse});
        return o.dry_run ? Result<bool>(true) : DropSlotSql(*conn, copy);
      },
      {.tries = r.ended_copy_pid != 0 ? 50 : 1});
  if (dropped) {
    if (*dropped)
      r.actions.push_back(fmt::format("{} the copy slot \"{}\" left by a clone",
                                      o.dry_run ? "would drop" : "dropped", copy));
    return {};
  }
  if (dropped.error().sqlstate != kObjectInUse) return std::unexpected(dropped.error());
  r.actions.push_back(fmt::format(
      "the copy slot \"{}\" is active: a clone of this replica is running; it was left alone",
      copy));
  return {};
}

// What --remove-data will move, decided before anything is stopped: the data directory and
// its tablespace directories (not those another running server shares, such as the primary's
// own on this host).
struct MovePlan {
  std::vector<Location> tablespaces;
  std::vector<std::string> left;  // tablespace directories left where they are, and why
};

Result<std::optional<MovePlan>> PlanMoveAside(const Location& data, const proc::OsUser& user) {
  if (!data.exists()) return std::optional<MovePlan>{};
  auto refuse = [&](const std::string& why, const std::string& hint) {
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("cannot move \"{}\" aside: {}", data.real, why),
                "Nothing was stopped, moved or dropped.", hint);
  };
  if (data.mount_point)
    return refuse("it is the root of a mounted filesystem",
                  "Unmount it or remove its contents by hand, then run decommission without "
                  "--remove-data.");
  if (data.st->st_uid != user.uid)
    return refuse(
        fmt::format("it belongs to {}, not to \"{}\"", UserLabel(data.st->st_uid), user.name),
        "Check local.data_directory (and where a link there points).");
  auto dir = data.Open();
  if (!dir) return std::unexpected(dir.error());
  auto links = ReadTablespaceLinks(*dir);
  if (!links) return std::unexpected(links.error());
  MovePlan plan;
  auto shared = links->empty() ? std::vector<FileId>{} : TablespacesOfOtherServers(data.real);
  for (const auto& l : *links) {
    struct stat st {};
    if (l.target.starts_with('/') && stat(l.target.c_str(), &st) == 0 &&
        std::ranges::find(shared, FileId::Of(st)) != shared.end()) {
      plan.left.push_back(fmt::format(
          "tablespace \"{}\" is left where it is: another server running on this host uses it",
          l.target));
      continue;
    }
    auto loc = ResolveOldTablespace(l, user);
    if (!loc) {
      Error e = loc.error();
      e.detail = "Nothing was stopped, moved or dropped.";
      return std::unexpected(e);
    }
    plan.tablespaces.push_back(std::move(*loc));
  }
  return std::optional<MovePlan>(std::move(plan));
}

// Moves the data directory and its tablespace directories to <name>.decommissioned-<stamp>.
Status MoveDataAside(const Location& data, const std::optional<MovePlan>& plan,
                     const proc::OsUser& user, const DecommissionOptions& o,
                     DecommissionResult& r) {
  if (!plan) {
    r.actions.push_back(fmt::format("\"{}\" does not exist: nothing to move", data.real));
    return {};
  }
  std::string suffix = std::string(kDecommissionedInfix) + UtcStamp();
  std::string target = data.SiblingPath(suffix);
  std::string verb = o.dry_run ? "would move" : "moved";
  if (!o.dry_run) {
    std::vector<const Location*> ptrs;
    for (const auto& t : plan->tablespaces) ptrs.push_back(&t);
    auto moved = MoveTogether(data, ptrs, suffix, Owner{user.uid, user.gid});
    if (!moved) {
      Error e = moved.error().Context("could not move the data aside");
      e.detail += " The standby is stopped; its slot was not dropped.";
      return std::unexpected(e);
    }
    r.data_moved_to = target;
  }
  r.actions.push_back(fmt::format("{} \"{}\" to \"{}\"", verb, data.real, target));
  for (const auto& t : plan->tablespaces)
    r.actions.push_back(
        fmt::format("{} tablespace \"{}\" to \"{}\"", verb, t.real, t.SiblingPath(suffix)));
  for (const auto& l : plan->left) r.actions.push_back(l);
  if (auto olds = SiblingsWithInfix(data, kOldInfix); olds && !olds->empty()) {
    r.actions.push_back(fmt::format(
        "{} older cop{} kept by clone stay{} (\"{}\"...); remove them when no longer needed",
        olds->size(), olds->size() == 1 ? "y" : "ies", olds->size() == 1 ? "s" : "",
        data.parent.PathOf(olds->front())));
  }
  return {};
}

// What a killed clone left around this data directory: an interrupted swap (put back from its
// journal), pg_basebackup still streaming into staging (ended), the staging directories
// (removed as the OS user).
Status CleanUpAfterKilledClone(const conf::Config& cfg, const DecommissionOptions& o,
                               const Location& data, const proc::OsUser& user,
                               DecommissionResult& r) {
  auto recovered = RecoverInterruptedSwap(cfg.state_directory, data.real, user, o.dry_run);
  if (!recovered) return std::unexpected(recovered.error());
  for (const auto& line : *recovered) r.actions.push_back(line);
  if (!recovered->empty() && !o.dry_run) r.cleaned_up = true;
  const std::string staging = data.SiblingPath(kStagingSuffix);
  auto tablespace_stagings = LeftoverTablespaceStagings(staging, user.uid);
  if (auto pids = FindLeftoverCopies(staging, user.uid); !pids.empty()) {
    if (o.dry_run) {
      r.actions.push_back(fmt::format(
          "would end pg_basebackup (pid {}) left by an interrupted clone", pids.front()));
    } else {
      auto left = EndLeftoverCopies(pids, std::chrono::seconds(10));
      if (!left.empty())
        return Fail(ErrorKind::kCheckFailed, "could not end a copy left by an interrupted clone",
                    fmt::format("pg_basebackup (pid {}) still runs after SIGKILL.", left.front()),
                    "Find out why the process does not end, then run again.");
      r.actions.push_back(
          fmt::format("ended pg_basebackup (pid {}) left by an interrupted clone", pids.front()));
      r.ended_copy_pid = pids.front();
      r.cleaned_up = true;
    }
  }
  auto remove = [&](const Dir& parent, const std::string& name) -> Status {
    auto st = parent.Stat(name);
    if (!st || !*st) return {};
    if (o.dry_run) {
      r.actions.push_back(fmt::format("would remove \"{}\"", parent.PathOf(name)));
      return {};
    }
    if (auto ok = RemoveAsOsUser(parent, name, user); !ok) return ok;
    r.cleaned_up = true;
    r.actions.push_back(
        fmt::format("removed \"{}\" left by an interrupted clone", parent.PathOf(name)));
    return {};
  };
  if (auto ok = remove(data.parent, data.Sibling(kStagingSuffix)); !ok) return ok;
  for (const auto& t : tablespace_stagings) {
    auto parent = Dir::Open(DirName(t));
    if (!parent) continue;
    if (parent->status().st_uid != user.uid && geteuid() == 0) continue;  // not the OS user's
    if (auto ok = remove(*parent, BaseName(t)); !ok) return ok;
  }
  return {};
}

Status StopLocal(const conf::Config& cfg, const DecommissionOptions& o, const Location& data,
                 DecommissionResult& r) {
  auto user = proc::LookupUser(cfg.local.os_user);
  if (!user) return std::unexpected(user.error());
  auto state = InspectDataDir(data);
  if (!state) return std::unexpected(state.error());
  if (state->exists && state->owner != user->uid) {
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("\"{}\" belongs to {}, not to the PostgreSQL OS user \"{}\"", data.real,
                            UserLabel(state->owner), user->name),
                "Nothing was stopped, moved or dropped.",
                "Check local.data_directory (and where a link there points).");
  }
  if (state->is_pgdata && !state->is_standby && !o.force) {
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("\"{}\" is not a standby's data directory", data.real),
                "It has no standby.signal: the server there is a primary (or was one). "
                "Nothing was stopped, moved or dropped.",
                "Check local.data_directory. If this server really is to be retired, run again "
                "with --force.");
  }
  // Everything --remove-data needs is checked before the server is stopped.
  std::optional<MovePlan> plan;
  if (o.remove_data) {
    auto p = PlanMoveAside(data, *user);
    if (!p) return std::unexpected(p.error());
    plan = std::move(*p);
  }
  auto bindir = pg::ChooseBindir(cfg.local.bindir, std::nullopt);
  if (!bindir) return std::unexpected(bindir.error());
  auto service =
      MakeService(cfg.local.service, {*bindir, data.configured, *user, cfg.local.port, 120});
  if (!service) return std::unexpected(service.error());
  auto running = (*service)->IsRunning();
  if (!running) return std::unexpected(running.error());
  if (!*running) r.actions.push_back("the local standby is not running");
  if (o.dry_run) {
    if (*running) {
      r.actions.push_back(fmt::format("would stop the local standby ({})", (*service)->Describe()));
      r.would_stop = true;
    }
  } else {
    // Whatever the service says, the slot is dropped and the data moved only once no server
    // runs in the data directory.
    auto pid = StopServer(**service, *running, data.real, std::chrono::seconds(10));
    if (!pid) return std::unexpected(pid.error());
    if (*running) {
      r.stopped = true;
      r.actions.push_back(fmt::format("stopped the local standby ({})", (*service)->Describe()));
    }
    if (*pid != 0) {
      return Fail(ErrorKind::kChildFailed, "the local standby still runs",
                  fmt::format("A server (pid {}) runs in \"{}\" although {} {}. Nothing was "
                              "moved and no slot was dropped.",
                              *pid, data.real, (*service)->Describe(),
                              *running ? "stopped it" : "reports it stopped"),
                  "Set local.service to what starts and stops this server, or stop it yourself "
                  "and run decommission again.");
    }
  }
  if (!o.remove_data) return {};
  return MoveDataAside(data, plan, *user, o, r);
}

}  // namespace

Status ValidateDecommission(const conf::Config& cfg, const DecommissionOptions& o) {
  if (auto p = conf::CheckSlotName(o.slot))
    return Fail(ErrorKind::kUsage, fmt::format("invalid slot name \"{}\"", Printable(o.slot)), *p);
  if (o.remove_data && !o.stop) {
    return Fail(ErrorKind::kUsage, "--remove-data needs --stop",
                "The data directory is moved aside only after its server is stopped.");
  }
  if (o.stop && cfg.local.data_directory.empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no data directory given",
                "--stop acts on the local standby.",
                "Set local.data_directory (or --data-directory).");
  }
  return conf::RequirePrimaryHost(cfg, "The slot is dropped on");
}

Result<DecommissionResult> Decommission(const conf::Config& cfg, const DecommissionOptions& o) {
  if (auto ok = ValidateDecommission(cfg, o); !ok) return std::unexpected(ok.error());
  DecommissionResult r;
  r.slot = o.slot;
  // The same lock as clone: a decommission never races a clone of this data directory.
  std::optional<Location> data;
  std::optional<FileLock> lock;
  if (o.stop || (o.own_slot && !cfg.local.data_directory.empty())) {
    auto user = proc::LookupUser(cfg.local.os_user);
    if (!user) return std::unexpected(user.error());
    auto resolved =
        ResolveLocation(cfg.local.data_directory, {.configured = true, .os_user = user->uid});
    if (!resolved && o.stop)
      return std::unexpected(resolved.error().Context("invalid data directory"));
    if (resolved) {
      data.emplace(std::move(*resolved));
      std::string what = fmt::format("data directory \"{}\"", data->real);
      if (o.dry_run) {
        if (auto free = FileLock::Probe(*data, cfg.state_directory, what); !free)
          return std::unexpected(free.error());
      } else {
        auto taken = FileLock::Acquire(*data, cfg.state_directory, what);
        if (!taken) return std::unexpected(taken.error());
        lock.emplace(std::move(*taken));
      }
    }
  }
  // Stop the standby first, so that its slot is inactive when it is dropped; but only once the
  // primary is known to answer, so that a retired standby never keeps a slot behind.
  if (o.stop) {
    if (auto conn = pg::Connection::Open(PrimaryAdminParams(cfg), "primary"); !conn) {
      Error e = conn.error();
      e.detail +=
          (e.detail.empty() ? "" : " ") + std::string("Nothing was stopped, moved or dropped.");
      return std::unexpected(e);
    }
    auto user = proc::LookupUser(cfg.local.os_user);
    if (!user) return std::unexpected(user.error());
    if (auto ok = CleanUpAfterKilledClone(cfg, o, *data, *user, r); !ok)
      return std::unexpected(ok.error());
    if (!o.dry_run) {  // the swap journal may have put directories back
      auto again =
          ResolveLocation(cfg.local.data_directory, {.configured = true, .os_user = user->uid});
      if (!again) return std::unexpected(again.error());
      data.emplace(std::move(*again));
    }
    if (auto ok = StopLocal(cfg, o, *data, r); !ok) return std::unexpected(ok.error());
  }
  auto done_so_far = [&](Error e) {
    if (!r.actions.empty()) {
      std::string list;
      for (const auto& a : r.actions) list += (list.empty() ? "" : "; ") + a;
      e.detail += (e.detail.empty() ? "" : " ") + fmt::format("Already done: {}.", list);
    }
    return std::unexpected(e);
  };
  if (auto ok = DropSlotOnPrimary(cfg, o, r); !ok) return done_so_far(ok.error());
  if (auto ok = DropCopySlot(cfg, o, r); !ok) return done_so_far(ok.error());
  return r;
}

}  // namespace pgreplica::replica
