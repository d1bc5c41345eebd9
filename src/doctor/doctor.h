#pragma once
// `pgreplica doctor`: is this host ready to run a standby with pgreplica?

#include <optional>

#include "common/error.h"
#include "common/report.h"
#include "conf/config.h"

namespace pgreplica::replica {

// Judges programs, OS user, data directory, password files and the state
// directory. `config_error` is the error of loading the configuration, if
// any (the defaults are then judged, and the error is the first item).
CheckReport RunDoctor(const conf::Config& config, const std::optional<Error>& config_error);

}  // namespace pgreplica::replica
