#pragma once
// Judging the status model against thresholds, with Nagios plugin
// semantics: OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3, one status line and
// performance data ('label'=value[UOM];warn;crit).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/model.h"

namespace pgreplica::monitor {

enum class State { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

struct Thresholds {
  std::int64_t retained_warn_bytes = 1LL << 30;  // WAL kept by one slot
  std::int64_t retained_crit_bytes = 5LL << 30;
  std::int64_t lag_warn_bytes = 16LL << 20;  // replay lag of a standby
  std::int64_t lag_crit_bytes = 256LL << 20;
  double lag_warn_seconds = 60;
  double lag_crit_seconds = 300;
  double silence_crit_seconds = 120;    // WAL receiver heard nothing for this long
  bool inactive_slot_critical = false;  // the article's alert: inactive slots (WARNING by default)
  std::vector<std::string> expected_standbys;  // application or slot names that must stream
};

struct PerfData {
  std::string label;
  std::optional<double> value;  // nullopt: not known this time ("U"), the label stays
  std::string uom;              // "", "s", "B", "%"
  std::string warn, crit;
  // label=value[UOM];warn;crit, the label quoted when it needs it; "U" for an
  // unknown value; numbers without exponent.
  std::string Format() const;
};

struct CheckOutcome {
  State state = State::kOk;
  std::vector<std::string> problems;  // most severe first
  // Every node has <node>_up (1 or 0); a reachable node has the same labels
  // on every run, a value it cannot know this time being "U".
  std::vector<PerfData> perfdata;
  std::string summary;  // when all is well
  // "PGREPLICA CRITICAL - ... | perfdata": always one line; text from servers
  // and clients (messages, slot and application names) made safe with NagiosText.
  std::string Line() const;
  int ExitCode() const { return static_cast<int>(state); }
};

CheckOutcome Judge(const std::vector<NodeStatus>& nodes, const Thresholds& thresholds);
std::string StateName(State s);

// A performance-data number: an integer when it is one, else three decimals;
// never an exponent (the plugin guidelines allow [-0-9.] only); "U" when not finite.
std::string FormatPerfNumber(double value);

// Text for the human part of a Nagios line: one line (OneLine), and '|',
// which would start the performance data, written as \x7c.
std::string NagiosText(std::string_view text);
// "PGREPLICA UNKNOWN - <reason>", the reason made safe with NagiosText.
std::string UnknownLine(std::string_view reason);

}  // namespace pgreplica::monitor
