#include "monitor/prometheus.h"

#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/number.h"
#include "common/text.h"

namespace pgreplica::monitor {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  // The exposition format is UTF-8: names that clients set may not be.
  for (char c : ReplaceInvalidUtf8(value)) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

// Samples grouped by metric so that HELP and TYPE appear once each.
class Exposition {
 public:
  void Add(const std::string& name, const std::string& help,
           const std::map<std::string, std::string>& labels, double value) {
    auto& m = metrics_[name];
    m.help = help;
    std::string l;
    for (const auto& [k, v] : labels)
      l += (l.empty() ? "" : ",") + k + "=\"" + EscapeLabel(v) + "\"";
    m.samples.push_back(fmt::format("{}{{{}}} {}", name, l, Number(value)));
  }
  template <typename T>
  void AddOpt(const std::string& name, const std::string& help,
              const std::map<std::string, std::string>& labels, const std::optional<T>& value) {
    if (value) Add(name, help, labels, static_cast<double>(*value));
  }
  std::string Render() const {
    std::string out;
    for (const auto& [name, m] : metrics_) {
      out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, m.help, name);
      for (const auto& s : m.samples) out += s + "\n";
    }
    return out;
  }

 private:
  static std::string Number(double v) {
    // Only a double that fits is cast (a huge or non-finite one would be undefined behaviour).
    if (FitsInt64(v) && v == std::trunc(v)) return std::to_string(static_cast<long long>(v));
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
  }
  struct Metric {
    std::string help;
    std::vector<std::string> samples;
  };
  std::map<std::string, Metric> metrics_;
};

}  // namespace

std::string ToPrometheus(const std::vector<NodeStatus>& nodes) {
  Exposition e;
  for (const auto& n : nodes) {
    std::map<std::string, std::string> node{{"node", n.name}};
    e.Add("pgreplica_up", "Whether pgreplica could query the node (1) or not (0).", node,
          n.reachable ? 1 : 0);
    e.Add("pgreplica_query_duration_seconds", "Time taken to connect to and query the node.", node,
          n.query_seconds);
    if (!n.reachable) continue;
    e.Add("pgreplica_in_recovery", "1 for a standby, 0 for a primary.", node,
          n.role == "standby" ? 1 : 0);
    int backups = 0;
    for (const auto& s : n.slots) {
      std::map<std::string, std::string> l{{"node", n.name}, {"slot", s.name}};
      e.Add("pgreplica_slot_active", "Whether a client is using the replication slot.", l,
            s.active ? 1 : 0);
      e.AddOpt("pgreplica_slot_retained_wal_bytes",
               "WAL the slot keeps on disk (current LSN - restart_lsn).", l, s.retained_bytes);
      e.AddOpt("pgreplica_slot_safe_wal_size_bytes",
               "WAL that can still be written before the slot is lost.", l, s.safe_wal_size);
      if (!s.wal_status.empty()) {
        auto ls = l;
        ls["wal_status"] = s.wal_status;
        e.Add("pgreplica_slot_wal_status", "The slot's wal_status as a label (value always 1).", ls,
              1);
      }
    }
    for (const auto& w : n.walsenders) {
      if (w.base_backup) {
        ++backups;
        continue;
      }
      std::map<std::string, std::string> l{{"node", n.name},
                                           {"application_name", w.application_name},
                                           {"slot", w.slot_name},
                                           {"client_addr", w.client_addr}};
      e.Add("pgreplica_standby_streaming", "Whether the standby's walsender is in state streaming.",
            l, w.state == "streaming" ? 1 : 0);
      e.AddOpt("pgreplica_standby_sent_lag_bytes", "WAL not yet sent to the standby.", l,
               w.sent_lag_bytes);
      e.AddOpt("pgreplica_standby_write_lag_bytes", "WAL not yet written by the standby.", l,
               w.write_lag_bytes);
      e.AddOpt("pgreplica_standby_flush_lag_bytes", "WAL not yet flushed by the standby.", l,
               w.flush_lag_bytes);
      e.AddOpt("pgreplica_standby_replay_lag_bytes", "WAL not yet replayed by the standby.", l,
               w.replay_lag_bytes);
      e.AddOpt("pgreplica_standby_write_lag_seconds", "write_lag of pg_stat_replication.", l,
               w.write_lag_seconds);
      e.AddOpt("pgreplica_standby_flush_lag_seconds", "flush_lag of pg_stat_replication.", l,
               w.flush_lag_seconds);
      e.AddOpt("pgreplica_standby_replay_lag_seconds", "replay_lag of pg_stat_replication.", l,
               w.replay_lag_seconds);
    }
    if (n.role == "primary")
      e.Add("pgreplica_base_backups_in_progress",
            "Walsenders serving a base backup (a clone), not a standby.", node, backups);
    if (n.receiver) {
      const Receiver& r = *n.receiver;
      e.Add("pgreplica_receiver_streaming", "Whether this standby's WAL receiver is streaming.",
            node, r.status == "streaming" ? 1 : 0);
      e.Add("pgreplica_receiver_replay_behind_bytes",
            "WAL received but not yet replayed on this standby.", node,
            static_cast<double>(r.bytes_behind));
      e.AddOpt("pgreplica_receiver_last_message_age_seconds",
               "Time since the WAL receiver heard from the primary.", node,
               r.last_message_age_seconds);
      e.AddOpt("pgreplica_receiver_replay_lag_seconds",
               "Replay lag: 0 when all received WAL is replayed, else the age of the last replayed "
               "transaction; "
               "absent when the receiver is not streaming.",
               node, r.replay_lag_seconds);
    }
  }
  return e.Render();
}

}  // namespace pgreplica::monitor
