#pragma once
// The status model in Prometheus' text exposition format, for
// node_exporter's textfile collector. Metric names are prefixed pgreplica_
// and carry their unit; docs/metrics.md lists them.

#include <string>
#include <vector>

#include "monitor/model.h"

namespace pgreplica::monitor {

std::string ToPrometheus(const std::vector<NodeStatus>& nodes);
// Escapes a label value (\, " and newline); bytes that are not UTF-8 become U+FFFD.
std::string EscapeLabel(const std::string& value);

}  // namespace pgreplica::monitor
