#include "monitor/model.h"

namespace pgreplica::monitor {

namespace {
template <typename T>
nlohmann::json Opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}
}  // namespace

nlohmann::json ToJson(const NodeStatus& n) {
  nlohmann::json j = {{"name", n.name},
                      {"host", n.host},
                      {"port", n.port},
                      {"reachable", n.reachable},
                      {"role", n.role},
                      {"server_version", n.server_version},
                      {"current_lsn", n.current_lsn},
                      {"query_seconds", n.query_seconds}};
  if (!n.error.empty()) j["error"] = n.error;
  if (n.expect_standby) j["expected_role"] = "standby";
  nlohmann::json slots = nlohmann::json::array();
  for (const auto& s : n.slots) {
    slots.push_back(
        {{"name", s.name},
         {"slot_type", s.slot_type},
         {"active", s.active},
         {"active_pid", s.active_pid},
         {"restart_lsn", s.restart_lsn},
         {"retained_bytes", Opt(s.retained_bytes)},
         {"wal_status", s.wal_status},
         {"safe_wal_size", Opt(s.safe_wal_size)},
         {"copy_slot", s.copy_slot},
         {"invalidation_reason",
          s.invalidation_reason.empty() ? nlohmann::json() : nlohmann::json(s.invalidation_reason)},
         {"inactive_since", Opt(s.inactive_since)},
         {"inactive_seconds", Opt(s.inactive_seconds)}});
  }
  j["slots"] = slots;
  nlohmann::json senders = nlohmann::json::array();
  for (const auto& w : n.walsenders) {
    senders.push_back({{"pid", w.pid},
                       {"application_name", w.application_name},
                       {"client_addr", w.client_addr},
                       {"state", w.state},
                       {"sync_state", w.sync_state},
                       {"slot_name", w.slot_name},
                       {"base_backup", w.base_backup},
                       {"sent_lag_bytes", Opt(w.sent_lag_bytes)},
                       {"write_lag_bytes", Opt(w.write_lag_bytes)},
                       {"flush_lag_bytes", Opt(w.flush_lag_bytes)},
                       {"replay_lag_bytes", Opt(w.replay_lag_bytes)},
                       {"write_lag_seconds", Opt(w.write_lag_seconds)},
                       {"flush_lag_seconds", Opt(w.flush_lag_seconds)},
                       {"replay_lag_seconds", Opt(w.replay_lag_seconds)}});
  }
  j["walsenders"] = senders;
  if (n.receiver) {
    const Receiver& r = *n.receiver;
    j["receiver"] = {{"status", r.status},
                     {"sender_host", r.sender_host},
                     {"sender_port", r.sender_port},
                     {"slot_name", r.slot_name},
                     {"received_lsn", r.received_lsn},
                     {"replayed_lsn", r.replayed_lsn},
                     {"bytes_behind", r.bytes_behind},
                     {"last_message_age_seconds", Opt(r.last_message_age_seconds)},
                     {"replay_lag_seconds", Opt(r.replay_lag_seconds)},
                     {"replay_paused", r.replay_paused}};
  } else {
    j["receiver"] = nullptr;
  }
  return j;
}

nlohmann::json ToJson(const std::vector<NodeStatus>& nodes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& n : nodes) list.push_back(ToJson(n));
  return {{"schema", "pgreplica.status.v1"}, {"nodes", list}};
}

}  // namespace pgreplica::monitor
