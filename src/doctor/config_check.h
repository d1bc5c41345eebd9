#pragma once
// Whether a configuration is one a standby can work with: the judgement of
// `pgreplica config check`, and the part of it that status, check and doctor
// share (a configuration that names no primary). Library code: it returns
// findings, the CLI renders them.

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "conf/config.h"

namespace pgreplica::replica {

// Whether `config` names the primary its standby streams from (primary.host). A
// kConfigInvalid error "configuration names no primary" otherwise, whose detail says where
// the host went missing (an empty file, `host: ''`, a file without the key) and whose hint
// says what to set. status and check (unless told to look at the local standby only or at
// an inventory) and doctor ask it: without a primary, slot monitoring would silently stop.
Status RequirePrimary(const conf::Config& config);

// The findings of a configuration judged as clone and check on a standby would judge it.
struct ConfigJudgement {
  // The first problem that makes the configuration unusable: no primary, service settings
  // clone would refuse (kConfigInvalid), custom service commands root would refuse to run
  // (kInsecureFile, as root only). Empty when the configuration is valid.
  std::optional<Error> error;
  // Sentences about what works but is probably not meant (no data directory, custom
  // commands root would refuse when not run as root).
  std::vector<std::string> warnings;
  bool valid() const { return !error; }
};

// Judges `config` (already loaded and validated key by key by conf::LoadConfig): a primary,
// the service as clone would build it (MakeService, CheckServiceFits when the data directory
// is set), the trust of custom commands. Reads no secret. `local_only`: the file of a host
// that watches only its local standby (status and check --local-only), which needs no primary.
ConfigJudgement JudgeConfig(const conf::Config& config, bool local_only = false);

}  // namespace pgreplica::replica
