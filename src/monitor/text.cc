#include "monitor/text.h"

#include <fmt/format.h>

#include "common/format.h"
#include "common/text.h"

namespace pgreplica::monitor {

namespace {

template <typename T>
std::string Bytes(const std::optional<T>& v) {
  return v ? HumanBytes(*v) : "-";
}
// Names and states come from servers and their clients: no control character reaches the
// terminal, and '|' is \x7c as in check's line (docs/monitoring.md).
std::string Bar(const std::string& printable) {
  std::string out;
  for (char c : printable) out += c == '|' ? std::string("\\x7c") : std::string(1, c);
  return out;
}
std::string P(const std::string& s) { return Bar(Printable(s)); }

std::string Seconds(const std::optional<double>& v) {
  return v ? fmt::format("{:.3f} s", *v) : "-";
}

void Primary(const NodeStatus& n, std::string& out) {
  if (n.slots.empty()) {
    out += "  no replication slots\n";
  } else {
    out += fmt::format("  {:<28} {:<7} {:<11} {:<11} {}\n", "SLOT", "ACTIVE", "RETAINED",
                       "WAL_STATUS", "SAFE_WAL_SIZE");
    for (const auto& s : n.slots) {
      out += fmt::format("  {:<28} {:<7} {:<11} {:<11} {}{}\n", P(s.name), s.active ? "yes" : "NO",
                         Bytes(s.retained_bytes), s.wal_status.empty() ? "-" : P(s.wal_status),
                         Bytes(s.safe_wal_size),
                         !s.copy_slot ? ""
                         : s.active   ? "  (clone in progress)"
                                      : "  (left over from an interrupted clone)");
      // PostgreSQL 17 and later say why a slot was invalidated and since when it is inactive.
      if (!s.invalidation_reason.empty())
        out += fmt::format("  {:<28} invalidated: {}\n", "", P(s.invalidation_reason));
      if (!s.active && s.inactive_seconds)
        out += fmt::format("  {:<28} inactive for {}\n", "", Seconds(s.inactive_seconds));
    }
  }
  int backups = 0;
  bool header = false;
  for (const auto& w : n.walsenders) {
    if (w.base_backup) {
      ++backups;
      continue;
    }
    if (!header) {
      out += fmt::format("  {:<24} {:<15} {:<10} {:>9} {:>9} {:>9} {:>9} {:>11}\n", "STANDBY",
                         "ADDRESS", "STATE", "SENT", "WRITE", "FLUSH", "REPLAY", "REPLAY_LAG");
      header = true;
    }
    out += fmt::format("  {:<24} {:<15} {:<10} {:>9} {:>9} {:>9} {:>9} {:>11}\n",
                       w.application_name.empty() ? "-" : P(w.application_name),
                       w.client_addr.empty() ? "local" : P(w.client_addr), P(w.state),
                       Bytes(w.sent_lag_bytes), Bytes(w.write_lag_bytes), Bytes(w.flush_lag_bytes),
                       Bytes(w.replay_lag_bytes), Seconds(w.replay_lag_seconds));
  }
  if (!header) out += "  no standbys connected\n";
  if (backups > 0)
    out += fmt::format("  base backups in progress (clones, not standbys): {} walsender(s)\n",
                       backups);
}

void Standby(const NodeStatus& n, std::string& out) {
  if (!n.receiver || n.receiver->status.empty()) {
    out += "  WAL receiver: NOT RUNNING\n";
    return;
  }
  const Receiver& r = *n.receiver;
  out += fmt::format("  WAL receiver: {} from {}:{}{}\n", P(r.status), P(r.sender_host),
                     r.sender_port, r.slot_name.empty() ? "" : " via slot " + P(r.slot_name));
  out += fmt::format("  received {}, replayed {} ({} behind){}\n", P(r.received_lsn),
                     P(r.replayed_lsn), HumanBytes(r.bytes_behind),
                     r.replay_paused ? ", replay PAUSED" : "");
  out += fmt::format(
      "  last message from the primary {} ago, replay lag {}\n",
      Seconds(r.last_message_age_seconds),
      r.replay_lag_seconds ? Seconds(r.replay_lag_seconds) : "unknown (receiver not streaming)");
}

}  // namespace

std::string ToText(const std::vector<NodeStatus>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    std::string where =
        fmt::format("{}:{}", n.host.empty() ? "(default)" : P(n.host), n.port ? n.port : 5432);
    if (!n.reachable) {
      out += fmt::format("{} ({}): UNREACHABLE: {}\n", P(n.name), where, Bar(OneLine(n.error)));
      continue;
    }
    if (n.expect_standby && n.role != "standby") {
      out += fmt::format(
          "{} ({}): NOT IN RECOVERY: configured as the standby, it runs as a {} (promoted?), "
          "PostgreSQL {}\n",
          P(n.name), where, n.role, n.server_version / 10000);
      Primary(n, out);
      continue;
    }
    out += fmt::format("{} ({}): {}, PostgreSQL {}, {} {}\n", P(n.name), where, n.role,
                       n.server_version / 10000, n.role == "primary" ? "WAL at" : "received up to",
                       P(n.current_lsn));
    if (n.role == "primary")
      Primary(n, out);
    else
      Standby(n, out);
  }
  return out;
}

}  // namespace pgreplica::monitor
