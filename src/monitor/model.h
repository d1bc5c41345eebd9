#pragma once
// The status model: what pgreplica knows about one node (primary or
// standby), built by the collector and rendered by the formatters.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pgreplica::monitor {

// A walsender on a primary (pg_stat_replication).
struct Walsender {
  int pid = 0;
  std::string application_name;
  std::string client_addr;
  std::string state;         // streaming, catchup, backup, startup, stopping
  std::string sync_state;    // async, sync, potential, quorum
  std::string slot_name;     // the slot it holds, if any
  bool base_backup = false;  // a copy in progress (pg_basebackup), not a standby
  std::optional<std::int64_t> sent_lag_bytes, write_lag_bytes, flush_lag_bytes, replay_lag_bytes;
  std::optional<double> write_lag_seconds, flush_lag_seconds, replay_lag_seconds;
};

// A replication slot (pg_replication_slots).
struct Slot {
  std::string name;
  std::string slot_type;
  bool active = false;
  int active_pid = 0;
  std::string restart_lsn;
  std::optional<std::int64_t> retained_bytes;  // current LSN - restart_lsn, computed by the server
  std::string wal_status;                      // reserved, extended, unreserved, lost
  std::optional<std::int64_t> safe_wal_size;
  bool copy_slot = false;  // a pgreplica clone's temporary slot
  // Columns of PostgreSQL 17 and later; empty/nullopt on older servers (and when not set).
  std::string invalidation_reason;            // wal_removed, rows_removed, idle_timeout, ...
  std::optional<std::string> inactive_since;  // ISO 8601, as the server reports it
  std::optional<double> inactive_seconds;     // now() - inactive_since on the server
};

// The WAL receiver of a standby (pg_stat_wal_receiver and friends).
struct Receiver {
  std::string status;  // streaming, waiting, ... ; empty when no receiver runs
  std::string sender_host;
  int sender_port = 0;
  std::string slot_name;
  std::string received_lsn, replayed_lsn;
  std::int64_t bytes_behind = 0;  // received - replayed, clamped at 0
  std::optional<double> last_message_age_seconds;
  // Replay lag that is 0 when everything received is replayed (so an idle
  // primary shows no false growth); otherwise the age of the last replayed
  // transaction. Unknown (nullopt) when nothing is known.
  std::optional<double> replay_lag_seconds;
  bool replay_paused = false;
};

struct NodeStatus {
  std::string name;
  std::string host;
  int port = 0;
  bool reachable = false;
  std::string error;  // why it is unreachable or failed
  std::string role;   // "primary" or "standby"
  int server_version = 0;
  std::string current_lsn;  // primary: insert position; standby: last received
  std::vector<Slot> slots;
  std::vector<Walsender> walsenders;
  std::optional<Receiver> receiver;  // standbys
  double query_seconds = 0;
  // The node is configured as a standby (the local standby): finding it out of recovery
  // (promoted) is a problem, not a primary to judge.
  bool expect_standby = false;
};

nlohmann::json ToJson(const NodeStatus& node);
nlohmann::json ToJson(const std::vector<NodeStatus>& nodes);

}  // namespace pgreplica::monitor
