#pragma once
// The clone's last step asks: does this host's standby stream from the primary through its
// slot? Answered without connecting to the local server (the PostgreSQL OS user runs it and
// could run anything on its port, so no credential of root's is sent there): the local files
// say what runs and how it is configured, and the primary, reached with the admin login, says
// whether the slot is held by a walsender that streams. `clone --if-needed` asks the same.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "conf/config.h"

namespace pgreplica::replica {

struct ConfirmFacts {
  bool verified = false;  // at least one side could be asked
  std::optional<bool> in_recovery;
  std::string receiver_status;  // "streaming", ...
  std::string sender;           // host:port the WAL receiver streams from
  std::string receiver_slot;
  std::optional<bool> slot_active;  // on the primary
  std::string walsender_state;
  std::optional<long long> replay_lag_bytes;
  std::optional<double> replay_lag_seconds;
  nlohmann::json ToJson() const;
};

// What is seen now for the standby in `data_real` (its real path) and the slot `slot`.
// Never fails: what could not be asked stays unset, and `verified` is false when neither side
// answered.
ConfirmFacts AskWhetherStreaming(const conf::Config& cfg, const std::string& data_real,
                                 const std::string& slot);

// Whether the facts show a standby streaming through `slot`: every side that answered agrees.
bool StreamsThroughSlot(const ConfirmFacts& facts, const std::string& slot);

}  // namespace pgreplica::replica
