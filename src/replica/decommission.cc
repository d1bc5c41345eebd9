#include "replica/decommission.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "common/fs.h"
#include "common/text.h"
#include "conf/validate.h"
#include "pg/binaries.h"
#include "pg/connection.h"
#include "proc/user.h"
#include "replica/datadir.h"
#include "replica/jobs.h"
#include "replica/service.h"
#include "replica/slot.h"
#include "replica/target.h"

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
  if (r.slot_was_active && !o.force) {
    return Fail(ErrorKind::kCheckFailed, fmt::format("slot \"{}\" is active", o.slot),
                fmt::format("Walsender pid {} streams through it: a standby still uses it.", pid),
                "Stop that standby first (pgreplica decommission --stop on its host), or pass "
                "--force to end "
                "its connection and drop the slot.");
  }
  std::string what = fmt::format(
      "drop slot \"{}\"{}", o.slot,
      r.released_bytes ? fmt::format(", releasing {} bytes of WAL", *r.released_bytes) : "");
  if (o.dry_run) {
    if (r.slot_was_active) r.actions.push_back(fmt::format("would end walsender pid {}", pid));
    r.actions.push_back("would " + what);
    return {};
  }
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (r.slot_was_active && attempt % 10 == 0) {
      auto t = conn->Exec(
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 "
          "AND active",
          {o.slot});
      if (!t) return std::unexpected(t.error());
      r.terminated_pid = pid;
    }
    auto dropped = conn->Exec("SELECT pg_drop_replication_slot($1)", {o.slot});
    if (dropped) {
      r.slot_dropped = true;
      if (r.terminated_pid) r.actions.push_back(fmt::format("ended walsender pid {}", pid));
      r.actions.push_back(what);
      return {};
    }
    if (dropped.error().sqlstate == kUndefinedObject) {  // dropped meanwhile by someone else
      r.actions.push_back(
          fmt::format("slot \"{}\" disappeared meanwhile: nothing to drop", o.slot));
      return {};
    }
    if (dropped.error().sqlstate != kObjectInUse) return std::unexpected(dropped.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Fail(ErrorKind::kCheckFailed, fmt::format("slot \"{}\" stayed active", o.slot),
              "Its client reconnected at once after its walsender was ended.",
              "Stop that standby, then run decommission again.");
}

Status StopLocal(const conf::Config& cfg, const DecommissionOptions& o, DecommissionResult& r) {
  if (cfg.local.data_directory.empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no data directory given",
                "--stop acts on the local standby.",
                "Set local.data_directory (or --data-directory).");
  }
  auto user = proc::LookupUser(cfg.local.os_user);
  if (!user) return std::unexpected(user.error());
  auto bindir = pg::ChooseBindir(cfg.local.bindir, std::nullopt);
  if (!bindir) return std::unexpected(bindir.error());
  auto service = MakeService(cfg.local.service,
                             {*bindir, cfg.local.data_directory, *user, cfg.local.port, 120});
  if (!service) return std::unexpected(service.error());
  auto running = (*service)->IsRunning();
  if (!running) return std::unexpected(running.error());
  if (*running) {
    if (o.dry_run) {
      r.actions.push_back(fmt::format("would stop the local standby ({})", (*service)->Describe()));
    } else {
      if (auto ok = (*service)->Stop(); !ok) return ok;
      r.stopped = true;
      r.actions.push_back(fmt::format("stopped the local standby ({})", (*service)->Describe()));
    }
  } else {
    r.actions.push_back("the local standby is not running");
  }
  // Whatever the service says, the slot is dropped and the data moved only once no server
  // runs in the data directory.
  if (!o.dry_run) {
    if (int pid = WaitForNoPostmaster(cfg.local.data_directory, std::chrono::seconds(10))) {
      return Fail(ErrorKind::kChildFailed, "the local standby still runs",
                  fmt::format("A server (pid {}) runs in \"{}\" although {} {}. Nothing was "
                              "moved and no slot was dropped.",
                              pid, cfg.local.data_directory, (*service)->Describe(),
                              *running ? "stopped it" : "reports it stopped"),
                  "Set local.service to what starts and stops this server, or stop it yourself "
                  "and run decommission again.");
    }
  }
  if (!o.remove_data) return {};
  auto st = StatPath(cfg.local.data_directory);
  if (!st || !*st) {
    r.actions.push_back(
        fmt::format("\"{}\" does not exist: nothing to move", cfg.local.data_directory));
    return {};
  }
  std::string target = cfg.local.data_directory + ".decommissioned-" + UtcStamp();
  if (o.dry_run) {
    r.actions.push_back(
        fmt::format("would move \"{}\" to \"{}\"", cfg.local.data_directory, target));
    return {};
  }
  if (std::rename(cfg.local.data_directory.c_str(), target.c_str()) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not move \"{}\" aside", cfg.local.data_directory)));
  r.data_moved_to = target;
  r.actions.push_back(fmt::format("moved \"{}\" to \"{}\"", cfg.local.data_directory, target));
  return {};
}

}  // namespace

Status ValidateDecommission(const conf::Config& cfg, const DecommissionOptions& o) {
  if (auto p = conf::CheckSlotName(o.slot))
    return Fail(ErrorKind::kUsage, fmt::format("invalid slot name \"{}\"", Printable(o.slot)), *p);
  if (o.remove_data && !o.stop) {
    return Fail(ErrorKind::kUsage, "--remove-data needs --stop",
                "The data directory is moved aside only after its server is stopped.");
  }
  if (cfg.primary.host.empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no primary host given",
                "The slot is dropped on primary.host, which is not set.",
                "Set primary.host, or pass --host.");
  }
  return {};
}

Result<DecommissionResult> Decommission(const conf::Config& cfg, const DecommissionOptions& o) {
  if (auto ok = ValidateDecommission(cfg, o); !ok) return std::unexpected(ok.error());
  DecommissionResult r;
  r.slot = o.slot;
  // Stop the standby first, so that its slot is inactive when it is dropped.
  if (o.stop) {
    if (auto ok = StopLocal(cfg, o, r); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = DropSlotOnPrimary(cfg, o, r); !ok) return std::unexpected(ok.error());
  return r;
}

}  // namespace pgreplica::replica
