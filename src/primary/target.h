#pragma once
// Connection parameters derived from the configuration.

#include <string>

#include "common/error.h"
#include "conf/config.h"
#include "pg/conninfo.h"

namespace pgreplica::replica {

// The admin (superuser or monitoring) connection to the primary.
pg::ConnParams PrimaryAdminParams(const conf::Config& config);
// The replication connection to the primary. `password` may be empty, in
// which case libpq reads `passfile` (the OS user's password file).
pg::ConnParams PrimaryReplicationParams(const conf::Config& config, const std::string& password,
                                        const std::string& passfile);

// Makes a replication connection to the primary with `password` (never a password file) and
// closes it: whether these credentials would let a standby stream. The error keeps the
// server's reason and its kind (kConnection, kAuth); it never holds the password.
Status VerifyReplicationLogin(const conf::Config& config, const std::string& password);

}  // namespace pgreplica::replica
