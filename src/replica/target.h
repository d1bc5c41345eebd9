#pragma once
// Connection parameters derived from the configuration.

#include <string>

#include "conf/config.h"
#include "pg/conninfo.h"

namespace pgreplica::replica {

// The admin (superuser or monitoring) connection to the primary.
pg::ConnParams PrimaryAdminParams(const conf::Config& config);
// The replication connection to the primary. `password` may be empty, in
// which case libpq reads `passfile` (the OS user's password file).
pg::ConnParams PrimaryReplicationParams(const conf::Config& config, const std::string& password,
                                        const std::string& passfile);

}  // namespace pgreplica::replica
