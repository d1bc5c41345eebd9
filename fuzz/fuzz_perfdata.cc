// The check's formatter: whatever the servers and their clients report
// (names with '|', line breaks and escapes; NaN, infinite and huge numbers),
// the Nagios line is one line with at most one '|', and the text and
// Prometheus renderings carry no control character or invalid UTF-8.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>

#include "common/text.h"
#include "fuzz/fuzz.h"
#include "monitor/check.h"
#include "monitor/prometheus.h"
#include "monitor/text.h"

using namespace pgreplica::monitor;

namespace {

std::string Str(FuzzedDataProvider& in) { return in.ConsumeRandomLengthString(24); }
double Num(FuzzedDataProvider& in) { return in.ConsumeFloatingPoint<double>(); }
std::optional<double> OptNum(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return std::nullopt;
  return Num(in);
}
std::optional<std::int64_t> OptInt(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return std::nullopt;
  return in.ConsumeIntegral<std::int64_t>();
}

NodeStatus Node(FuzzedDataProvider& in) {
  NodeStatus n;
  n.name = Str(in);
  n.host = Str(in);
  n.reachable = in.ConsumeBool();
  n.error = in.ConsumeRandomLengthString(80);
  n.role = in.ConsumeBool() ? "primary" : "standby";
  n.server_version = in.ConsumeIntegral<int>();
  n.current_lsn = Str(in);
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i)
    n.slots.push_back({Str(in), Str(in), in.ConsumeBool(), in.ConsumeIntegral<int>(), Str(in),
                       OptInt(in), Str(in), OptInt(in), in.ConsumeBool()});
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    Walsender w;
    w.pid = in.ConsumeIntegral<int>();
    w.application_name = Str(in);
    w.client_addr = Str(in);
    w.state = in.ConsumeBool() ? "streaming" : Str(in);
    w.slot_name = Str(in);
    w.base_backup = in.ConsumeBool();
    w.sent_lag_bytes = OptInt(in);
    w.replay_lag_bytes = OptInt(in);
    w.replay_lag_seconds = OptNum(in);
    n.walsenders.push_back(w);
  }
  if (in.ConsumeBool()) {
    Receiver r;
    r.status = in.ConsumeBool() ? "streaming" : Str(in);
    r.sender_host = Str(in);
    r.sender_port = in.ConsumeIntegral<int>();
    r.slot_name = Str(in);
    r.bytes_behind = in.ConsumeIntegral<std::int64_t>();
    r.last_message_age_seconds = OptNum(in);
    r.replay_lag_seconds = OptNum(in);
    r.replay_paused = in.ConsumeBool();
    n.receiver = r;
  }
  return n;
}

bool HasControl(const std::string& s, bool allow_newline) {
  return std::any_of(s.begin(), s.end(), [&](unsigned char c) {
    return (c < 0x20 && !(allow_newline && c == '\n')) || c == 0x7f;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<NodeStatus> nodes;
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) nodes.push_back(Node(in));
  Thresholds t;
  t.lag_warn_seconds = in.ConsumeIntegralInRange(0, 86400 * 30);
  t.lag_crit_seconds = in.ConsumeIntegralInRange(0, 86400 * 30);
  t.inactive_slot_critical = in.ConsumeBool();
  for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) t.expected_standbys.push_back(Str(in));

  CheckOutcome out = Judge(nodes, t);
  std::string line = out.Line();
  FUZZ_REQUIRE(line.rfind("PGREPLICA ", 0) == 0);
  FUZZ_REQUIRE(!HasControl(line, false));
  FUZZ_REQUIRE(std::count(line.begin(), line.end(), '|') == (out.perfdata.empty() ? 0 : 1));
  FUZZ_REQUIRE(pgreplica::IsValidUtf8(line));
  for (const auto& p : out.perfdata) {
    std::string f = p.Format();
    FUZZ_REQUIRE(f.find(' ') == std::string::npos && f.find('|') == std::string::npos);
    FUZZ_REQUIRE(f.substr(f.find('=')).find('e') == std::string::npos);  // no exponent
  }
  std::string text = ToText(nodes);
  FUZZ_REQUIRE(!HasControl(text, true) && pgreplica::IsValidUtf8(text));
  FUZZ_REQUIRE(pgreplica::IsValidUtf8(ToPrometheus(nodes)));
  std::string unknown = UnknownLine(in.ConsumeRemainingBytesAsString());
  FUZZ_REQUIRE(!HasControl(unknown, false) && unknown.find('|') == std::string::npos);
  return 0;
}
