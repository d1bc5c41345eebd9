#pragma once
// `pgreplica decommission`: retire a replica so that it cannot forget its
// slot. With --stop (once the primary is known to answer, and under the same
// data-directory lock as clone): put back or remove what a killed clone left,
// stop the local standby and make sure no server runs in its data directory
// (StopServer), and with --remove-data move the data directory and its
// tablespace directories aside. Then drop the slot on the primary (refusing
// while it is active unless forced) and a clone's leftover copy slot, both
// through the one retry loop of primary/slot.h.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "conf/config.h"

namespace pgreplica::replica {

struct DecommissionOptions {
  std::string slot;  // resolved slot name
  // End the walsender holding an active slot; with stop, also retire a data directory that is
  // not a standby's.
  bool force = false;
  bool stop = false;         // stop the local standby's service
  bool remove_data = false;  // with stop: move the data directory aside
  bool dry_run = false;
  // The slot is this host's own (no --node): with a data directory configured, the
  // decommission takes the data directory's lock, so that it never drops the slot of a clone
  // that is running.
  bool own_slot = false;
};

struct DecommissionResult {
  std::string slot;
  bool slot_existed = false;
  bool slot_was_active = false;
  bool slot_dropped = false;
  int terminated_pid = 0;
  std::optional<std::int64_t> released_bytes;  // WAL the slot retained
  bool stopped = false;
  bool would_stop = false;  // dry run: the local standby runs and would be stopped first
  int ended_copy_pid = 0;   // pg_basebackup of a killed clone that was ended
  std::string data_moved_to;
  std::vector<std::string> actions;  // what was done (or, with dry_run, would be)
  bool cleaned_up = false;           // what a killed clone left was put back or removed
  bool changed() const { return slot_dropped || stopped || !data_moved_to.empty() || cleaned_up; }
  nlohmann::json ToJson() const;
};

// The slot of `node` under the same naming rule as clone (DefaultSlotName).
// kUsage when `node` is not a host name (empty, ".", "../x", "a b", an IP
// address): such a name would map to another replica's slot, or to this host's.
Result<std::string> SlotForNode(const std::string& node);

// What a decommission cannot start without: a valid slot name, a primary
// host, and --remove-data only with --stop.
Status ValidateDecommission(const conf::Config& config, const DecommissionOptions& options);

Result<DecommissionResult> Decommission(const conf::Config& config,
                                        const DecommissionOptions& options);

}  // namespace pgreplica::replica
