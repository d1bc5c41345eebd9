#pragma once
// Configuration files as an administrator keeps them: when the tests run as
// root, in a directory that only root can write, so that pgreplica accepts
// the custom service commands in them (conf/trust.h).

#include <string>

#include "support/cluster.h"

namespace pgreplica::testing {

// Writes `text` as configuration file `name`: owned by root, mode 0600, in a
// root-owned directory of this test process (removed at exit) when running
// as root; otherwise in the workspace. Returns the path.
std::string WriteConfigFile(const Workspace& ws, const std::string& name, const std::string& text);

}  // namespace pgreplica::testing
