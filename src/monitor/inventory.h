#pragma once
// A fleet inventory: a YAML file listing the nodes that `status` and
// `check` query at once (docs/monitoring.md shows the format).

#include <string>
#include <vector>

#include "common/error.h"
#include "conf/config.h"
#include "monitor/collector.h"

namespace pgreplica::monitor {

// Parses the inventory; errors name the file, line and key (kConfigInvalid,
// kConfigSyntax, kFileAccess).
Result<std::vector<NodeSpec>> LoadInventory(const std::string& path);
Result<std::vector<NodeSpec>> ParseInventory(const std::string& text, const std::string& source);

// Without an inventory: the configured primary (if primary.host is set) and
// the local standby (127.0.0.1, local.port, if local.data_directory is set),
// both with the admin login (a standby is a copy, so the same login works).
std::vector<NodeSpec> NodesFromConfig(const conf::Config& config, bool primary, bool local);

}  // namespace pgreplica::monitor
