#include "monitor/check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "common/number.h"
#include "common/text.h"

namespace pgreplica::monitor {

namespace {

struct Judgement {
  State state = State::kOk;
  std::vector<std::pair<State, std::string>> problems;
  std::vector<PerfData> perf;

  // CRITICAL beats WARNING beats UNKNOWN beats OK: a known problem says more
  // than an unreachable node.
  static int Rank(State s) {
    return s == State::kCritical ? 3 : s == State::kWarning ? 2 : s == State::kUnknown ? 1 : 0;
  }
  void Raise(State s, std::string what) {
    if (Rank(s) > Rank(state)) state = s;
    problems.emplace_back(s, std::move(what));
  }
};

// A name as (part of) a label: itself when it is letters, digits and '_' only; otherwise
// those characters (the rest as '_') and a short hash of the name itself, so that "a-b" and
// "a_b", or "dup|x" and "dup x", keep labels of their own, the same on every run.
std::string Label(const std::string& s) {
  std::string out;
  bool changed = false;
  for (char c : s) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    out += plain ? c : '_';
    changed = changed || !plain;
  }
  if (!changed) return out;
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : s) hash = (hash ^ c) * 16777619u;
  return fmt::format("{}_{:06x}", out, hash & 0xffffff);
}

// Labels that still come out the same (node "a" with slot "b_c", node "a_b" with slot "c")
// get "_2", "_3"... in the order of the nodes: a label never stands for two values.
void MakeLabelsUnique(std::vector<PerfData>& perf) {
  std::set<std::string> seen;
  for (auto& p : perf) {
    if (seen.insert(p.label).second) continue;
    for (int n = 2;; ++n) {
      std::string candidate = fmt::format("{}_{}", p.label, n);
      if (seen.insert(candidate).second) {
        p.label = candidate;
        break;
      }
    }
  }
}

std::string FormatNumber(double v) { return FormatPerfNumber(v); }

// A name that a client or an administrator chose, for the text of a problem.
std::string Name(const std::string& s) { return Printable(s); }

void JudgePrimary(const NodeStatus& n, const Thresholds& t, Judgement& j) {
  std::string prefix = n.name.empty() ? "" : Name(n.name) + ": ";
  for (const auto& slot : n.slots) {
    Slot s = slot;
    s.name = Name(slot.name);
    if (s.copy_slot && s.active) continue;  // a clone in progress
    if (s.copy_slot) {
      // Nothing streams through it: an interrupted clone left it, and it holds WAL back.
      j.Raise(
          t.inactive_slot_critical ? State::kCritical : State::kWarning,
          fmt::format("{}slot {} inactive: left over from an interrupted clone", prefix, s.name));
    } else if (!s.active) {
      j.Raise(t.inactive_slot_critical ? State::kCritical : State::kWarning,
              fmt::format("{}slot {} inactive", prefix, s.name));
    }
    if (s.wal_status == "lost")
      j.Raise(State::kCritical, fmt::format("{}slot {} lost its WAL", prefix, s.name));
    // PostgreSQL 17 and later: an invalidated slot cannot be used again, whatever its WAL.
    if (!s.invalidation_reason.empty())
      j.Raise(State::kCritical, fmt::format("{}slot {} is invalidated ({})", prefix, s.name,
                                            Printable(s.invalidation_reason)));
    if (s.wal_status == "unreserved")
      j.Raise(State::kWarning,
              fmt::format("{}slot {} is about to lose its WAL (unreserved)", prefix, s.name));
    if (s.retained_bytes) {
      std::int64_t b = *s.retained_bytes;
      if (b >= t.retained_crit_bytes)
        j.Raise(State::kCritical,
                fmt::format("{}slot {} retains {} bytes of WAL", prefix, s.name, b));
      else if (b >= t.retained_warn_bytes)
        j.Raise(State::kWarning,
                fmt::format("{}slot {} retains {} bytes of WAL", prefix, s.name, b));
      j.perf.push_back(
          {(prefix.empty() ? "" : Label(n.name) + "_") + Label(slot.name) + "_retained",
           static_cast<double>(b), "B", std::to_string(t.retained_warn_bytes),
           std::to_string(t.retained_crit_bytes)});
    }
  }
  for (const auto& w : n.walsenders) {
    if (w.base_backup) continue;
    const std::string& id = w.slot_name.empty() ? w.application_name : w.slot_name;
    std::string who = Name(id);
    std::string label = (prefix.empty() ? "" : Label(n.name) + "_") + Label(id);
    if (w.replay_lag_bytes) {
      std::int64_t b = *w.replay_lag_bytes;
      if (b >= t.lag_crit_bytes)
        j.Raise(State::kCritical, fmt::format("{}standby {} is {} bytes behind", prefix, who, b));
      else if (b >= t.lag_warn_bytes)
        j.Raise(State::kWarning, fmt::format("{}standby {} is {} bytes behind", prefix, who, b));
      j.perf.push_back({label + "_replay_lag", static_cast<double>(b), "B",
                        std::to_string(t.lag_warn_bytes), std::to_string(t.lag_crit_bytes)});
    }
    // PostgreSQL shows replay_lag as NULL once an idle standby has caught up: that is no
    // lag, and the label must stay (graphs break when a label comes and goes).
    std::optional<double> lag = w.replay_lag_seconds;
    if (!lag && w.replay_lag_bytes == 0) lag = 0.0;
    if (lag) {
      double s = *lag;
      if (s >= t.lag_crit_seconds)
        j.Raise(State::kCritical,
                fmt::format("{}standby {} replays {:.0f} s late", prefix, who, s));
      else if (s >= t.lag_warn_seconds)
        j.Raise(State::kWarning, fmt::format("{}standby {} replays {:.0f} s late", prefix, who, s));
    }
    j.perf.push_back({label + "_replay_lag_seconds", lag, "s", FormatNumber(t.lag_warn_seconds),
                      FormatNumber(t.lag_crit_seconds)});
    if (w.state != "streaming")
      j.Raise(State::kWarning, fmt::format("{}standby {} is {}", prefix, who, Name(w.state)));
  }
  for (const auto& want : t.expected_standbys) {
    bool found = std::any_of(n.walsenders.begin(), n.walsenders.end(), [&](const Walsender& w) {
      return !w.base_backup && w.state == "streaming" &&
             (w.application_name == want || w.slot_name == want);
    });
    if (!found)
      j.Raise(State::kCritical,
              fmt::format("{}expected standby {} is not streaming", prefix, Name(want)));
  }
}

void JudgeStandby(const NodeStatus& n, const Thresholds& t, Judgement& j) {
  std::string prefix = n.name.empty() ? "" : Name(n.name) + ": ";
  std::string label = n.name.empty() ? "standby" : Label(n.name);
  // The same three labels whatever the receiver does; unknown values are "U".
  std::optional<double> lag, behind, silence;
  auto perf = [&] {
    j.perf.push_back({label + "_replay_lag_seconds", lag, "s", FormatNumber(t.lag_warn_seconds),
                      FormatNumber(t.lag_crit_seconds)});
    j.perf.push_back({label + "_replay_behind", behind, "B", std::to_string(t.lag_warn_bytes),
                      std::to_string(t.lag_crit_bytes)});
    j.perf.push_back(
        {label + "_receiver_silence", silence, "s", "", FormatNumber(t.silence_crit_seconds)});
  };
  if (n.role != "standby") {
    // The configured standby answers, but not as a standby: pg_ctl promote, or another
    // server on its port. Its standby labels stay, unknown.
    j.Raise(State::kCritical,
            prefix + "not in recovery: the configured standby runs as a primary (promoted?)");
    return perf();
  }
  if (!n.receiver || n.receiver->status.empty()) {
    j.Raise(State::kCritical, prefix + "WAL receiver not running");
    return perf();
  }
  const Receiver& r = *n.receiver;
  behind = static_cast<double>(r.bytes_behind);
  silence = r.last_message_age_seconds;
  if (r.status != "streaming") {
    j.Raise(State::kCritical,
            fmt::format("{}WAL receiver is {}, not streaming", prefix, Name(r.status)));
    return perf();
  }
  if (r.last_message_age_seconds && *r.last_message_age_seconds >= t.silence_crit_seconds) {
    j.Raise(State::kCritical,
            fmt::format("{}WAL receiver heard nothing from the primary for {:.0f} s", prefix,
                        *r.last_message_age_seconds));
  }
  lag = r.replay_lag_seconds;
  if (lag) {
    double s = *lag;
    if (s >= t.lag_crit_seconds)
      j.Raise(State::kCritical, fmt::format("{}replay is {:.0f} s behind", prefix, s));
    else if (s >= t.lag_warn_seconds)
      j.Raise(State::kWarning, fmt::format("{}replay is {:.0f} s behind", prefix, s));
  }
  if (r.bytes_behind >= t.lag_crit_bytes)
    j.Raise(State::kCritical,
            fmt::format("{}replay is {} bytes behind what was received", prefix, r.bytes_behind));
  else if (r.bytes_behind >= t.lag_warn_bytes)
    j.Raise(State::kWarning,
            fmt::format("{}replay is {} bytes behind what was received", prefix, r.bytes_behind));
  if (r.replay_paused) j.Raise(State::kWarning, prefix + "replay is paused");
  perf();
}

}  // namespace

std::string StateName(State s) {
  switch (s) {
    case State::kOk:
      return "OK";
    case State::kWarning:
      return "WARNING";
    case State::kCritical:
      return "CRITICAL";
    case State::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string NagiosText(std::string_view text) {
  std::string out;
  for (char c : OneLine(text)) {
    if (c == '|')
      out += "\\x7c";
    else
      out += c;
  }
  return out;
}

std::string UnknownLine(std::string_view reason) {
  return "PGREPLICA UNKNOWN - " + NagiosText(reason);
}

std::string FormatPerfNumber(double v) {
  if (!std::isfinite(v)) return "U";
  if (FitsInt64(v) && v == std::trunc(v)) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.3f}", v);
}

std::string PerfData::Format() const {
  // Labels are [A-Za-z0-9_] (Label()); anything else is quoted, with ' doubled.
  std::string name = label.empty() ? "value" : label;
  bool plain = std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
  if (!plain) {
    std::string quoted = "'";
    for (char c : NagiosText(name)) {
      if (c == '\'') quoted += '\'';
      if (c != '=') quoted += c;
    }
    name = quoted + "'";
  }
  std::string out =
      fmt::format("{}={}{}", name, value ? FormatNumber(*value) : "U", value ? uom : "");
  if (!warn.empty() || !crit.empty()) out += ";" + warn + ";" + crit;
  return out;
}

std::string CheckOutcome::Line() const {
  std::string text = problems.empty() ? summary : "";
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  std::string perf;
  for (const auto& p : perfdata) perf += (perf.empty() ? "" : " ") + p.Format();
  return fmt::format("PGREPLICA {} - {}{}", StateName(state), NagiosText(text),
                     perf.empty() ? "" : " | " + perf);
}

CheckOutcome Judge(const std::vector<NodeStatus>& nodes, const Thresholds& t) {
  Judgement j;
  int primaries = 0, standbys = 0;
  for (const auto& n : nodes) {
    std::string prefix = n.name.empty() ? "" : Name(n.name) + ": ";
    // A node that does not answer still has performance data.
    j.perf.push_back(
        {(n.name.empty() ? "node" : Label(n.name)) + "_up", n.reachable ? 1.0 : 0.0, "", "", ""});
    if (!n.reachable) {
      // libpq's messages have a second line ("Is the server running on that host...").
      j.Raise(State::kUnknown, prefix + OneLine(n.error));
      continue;
    }
    if (n.role == "primary" && !n.expect_standby) {
      ++primaries;
      JudgePrimary(n, t, j);
    } else {
      ++standbys;
      JudgeStandby(n, t, j);
    }
  }
  CheckOutcome out;
  out.state = j.state;
  std::stable_sort(j.problems.begin(), j.problems.end(), [](const auto& a, const auto& b) {
    auto rank = [](State s) { return s == State::kCritical ? 0 : s == State::kUnknown ? 1 : 2; };
    return rank(a.first) < rank(b.first);
  });
  for (auto& p : j.problems) out.problems.push_back(std::move(p.second));
  MakeLabelsUnique(j.perf);
  out.perfdata = std::move(j.perf);
  out.summary =
      fmt::format("{} primary, {} standby checked, replication healthy", primaries, standbys);
  return out;
}

}  // namespace pgreplica::monitor
