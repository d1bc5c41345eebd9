#pragma once
// The status model as a table for people.

#include <string>
#include <vector>

#include "monitor/model.h"

namespace pgreplica::monitor {

std::string ToText(const std::vector<NodeStatus>& nodes);

}  // namespace pgreplica::monitor
