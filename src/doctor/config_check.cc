#include "doctor/config_check.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/text.h"
#include "local/service.h"

namespace pgreplica::replica {

namespace {

bool FromFile(const conf::Config& config) { return config.source != conf::Config{}.source; }

// Where primary.host went missing, as a sentence.
std::string WhyNoPrimary(const conf::Config& config) {
  if (!FromFile(config))
    return "No configuration file was read, and primary.host was not given on the command line.";
  std::string file = Printable(config.source);
  const auto& keys = config.keys_in_file;
  if (keys.empty())
    return fmt::format(
        "Configuration file \"{}\" sets no key at all (it is empty or holds only "
        "comments), so primary.host is not set.",
        file);
  if (std::find(keys.begin(), keys.end(), "primary.host") != keys.end())
    return fmt::format("primary.host is empty in configuration file \"{}\".", file);
  return fmt::format("Configuration file \"{}\" does not set primary.host.", file);
}

}  // namespace

Status RequirePrimary(const conf::Config& config) {
  if (!config.primary.host.empty()) return {};
  return Fail(
      ErrorKind::kConfigInvalid, "configuration names no primary",
      WhyNoPrimary(config) + " A standby streams from its primary, and its slot is watched there.",
      "Set primary.host to the primary's host name or address (or pass --host). A host that "
      "watches only its local standby runs status and check with --local-only.");
}

ConfigJudgement JudgeConfig(const conf::Config& config, bool local_only) {
  ConfigJudgement out;
  if (auto ok = RequirePrimary(config); !ok && !local_only) {
    // What status, check and doctor say for the same configuration (RequirePrimary); the
    // hint is for a file. clone, decommission, primary and pgpass, which need the host to act,
    // say "no primary host given" (conf::RequirePrimaryHost).
    Error e = ok.error();
    e.hint =
        "Set primary.host to the primary's host name or address; a file for a host that "
        "watches only its local standby (status and check --local-only) passes with "
        "config check --local-only.";
    out.error = e;
    return out;
  }
  const conf::ServiceConfig& s = config.local.service;
  // The service as clone builds it: a systemd unit needs its name, custom needs its three
  // commands, pg_ctl needs paths /bin/sh cannot misread; as root, custom commands only from a
  // file only root can change.
  ServiceContext context{config.local.bindir,
                         config.local.data_directory,
                         {},
                         config.local.port,
                         config.clone.confirm_timeout};
  if (auto service = MakeService(s, context); !service) {
    out.error = service.error();
    return out;
  }
  if (s.type == "custom" && !s.commands_writable_by.empty()) {
    // Not root now (MakeService refused them otherwise): clone run as root would.
    out.warnings.push_back(
        fmt::format("Root would refuse to run the custom service commands of \"{}\": {} {}",
                    Printable(s.commands_source), s.commands_writable_by, s.commands_fix));
  }
  if (config.local.data_directory.empty()) {
    out.warnings.push_back(
        "local.data_directory is not set: clone, and status and check of the local standby, "
        "need it.");
  } else if (auto fits = CheckServiceFits(s, config.local.data_directory); !fits) {
    out.error = fits.error();
    return out;
  }
  return out;
}

}  // namespace pgreplica::replica
