#pragma once
// `pgreplica doctor`: is this host ready to run a standby with pgreplica?

#include <optional>

#include "common/error.h"
#include "common/report.h"
#include "conf/config.h"

namespace pgreplica::replica {

// Judges the configuration (it names a primary), the programs and their
// versions, the OS user and whether this process can act as it, the data
// directory (layout, owner and mode, an interrupted swap, leftovers of a killed
// clone), the service, the password files and the state directory. Changes
// nothing and connects to no server (it runs the programs with --version).
// `config_error` is the error of loading the configuration, if any (the
// defaults are then judged, and the error is the first item). An OS user that
// does not exist, or a state directory that is not private, ends the report
// there.
CheckReport RunDoctor(const conf::Config& config, const std::optional<Error>& config_error);

}  // namespace pgreplica::replica
