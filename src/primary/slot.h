#pragma once
// Physical replication slots: the name a host's slot gets (DefaultSlotName, CloneSlotName), and
// creating, reading and dropping slots on the primary, including the one retry loop for a slot
// that a walsender still holds (DropSlotRetrying).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "pg/connection.h"
#include "pg/lsn.h"

namespace pgreplica::replica {

// SQLSTATEs of slot commands: no such slot; the slot is held by a walsender.
inline constexpr const char* kUndefinedObject = "42704";
inline constexpr const char* kObjectInUse = "55006";

// node_<short hostname>_slot, made valid for any host name: lower case, every
// character outside [a-z0-9_] becomes '_', at most 63 bytes (the tail is
// replaced by a short hash when truncated, so different long names stay
// different). "replica-01.example.com" -> "node_replica_01_slot".
std::string DefaultSlotName(std::string_view hostname);

// The short host name of this machine (up to the first '.').
std::string ShortHostname();

// The slot a clone uses for its copy while our own standby still holds the
// host's slot: deterministic, so a killed run's leftover is found again.
std::string CloneSlotName(std::string_view slot);

struct SlotInfo {
  bool exists = false;
  bool active = false;
  int active_pid = 0;
  std::string slot_type;
  std::optional<pg::Lsn> restart_lsn;
  std::string wal_status;
};

// Reads a slot through SQL (pg_replication_slots).
Result<SlotInfo> ReadSlot(pg::Connection& sql, const std::string& name);

// Creates a physical slot with WAL reserved now, through a replication
// connection (needs only the REPLICATION attribute). Returns false when it
// already existed.
Result<bool> CreatePhysicalSlot(pg::Connection& replication, const std::string& name);

// Drops a slot through a replication connection; absent is fine; an active
// slot is an error (SQLSTATE 55006).
Status DropSlot(pg::Connection& replication, const std::string& name);

// Ends the walsender that holds slot `name` (pg_terminate_backend of its active_pid), through
// an SQL connection of a role allowed to (superuser, or pg_signal_backend). Nothing to end is
// fine.
Status EndSlotWalsender(pg::Connection& sql, const std::string& name);

// One try at dropping a slot: true when it was dropped, false when there was none to drop, an
// error with SQLSTATE kObjectInUse while a walsender holds it (any other error ends the tries).
using SlotDropTry = std::function<Result<bool>()>;

struct SlotDropRetry {
  int tries = 50;
  std::chrono::milliseconds pause{200};
  // Called after try `n` (from 0) found the slot held, before the pause; may end the walsender
  // (EndSlotWalsender). An error ends the tries with it. May be empty.
  std::function<Status(int n)> on_held;
};

// The one retry loop for dropping a slot that a walsender may hold a moment longer (the
// walsender of a pg_basebackup that just ended, a standby that reconnects): runs `try_drop`
// until it does not fail with kObjectInUse, at most `retry.tries` times, `retry.pause` apart.
// Returns what the last try returned (kObjectInUse when the slot stayed held throughout).
Result<bool> DropSlotRetrying(const SlotDropTry& try_drop, const SlotDropRetry& retry = {});

}  // namespace pgreplica::replica
