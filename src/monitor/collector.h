#pragma once
// Collects the status of many nodes at once with non-blocking libpq: every
// node connects and queries concurrently, each under its own deadline, so
// one dead or slow node never delays the others beyond its timeout.

#include <libpq-fe.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "monitor/model.h"
#include "pg/conninfo.h"

namespace pgreplica::monitor {

struct NodeSpec {
  std::string name;
  pg::ConnParams params;                    // a monitoring login (pg_monitor or superuser)
  std::chrono::milliseconds timeout{5000};  // connect + query
  bool expect_standby = false;              // copied to NodeStatus::expect_standby
};

// The status of every node, in the order given. Unreachable nodes have
// reachable = false and the reason in `error`. Host names are resolved
// first, concurrently and within each node's timeout (monitor/resolve.h).
std::vector<NodeStatus> Collect(const std::vector<NodeSpec>& nodes);

// Fills `node` from the four results of kStatusSql. Returns the reason, and
// leaves `node` as it was, when the answer does not have the expected shape
// or a value does not parse (a proxy, or a server that is not PostgreSQL):
// never throws.
std::optional<std::string> FillStatus(NodeStatus& node,
                                      const std::vector<const PGresult*>& results);

// The SQL sent to each node: four statements whose results fill NodeStatus.
extern const char* const kStatusSql;

}  // namespace pgreplica::monitor
