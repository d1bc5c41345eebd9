#pragma once
// Running the built pgreplica binary from tests, and the configuration that
// points it at test clusters.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cluster.h"

namespace pgreplica::testing {

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr
  // The output parsed as JSON (for --output json runs); null when it is not JSON.
  nlohmann::json Json() const;
};

// Runs pgreplica with `args`; `stdin_text` is fed to its standard input; `env` is set in its
// environment.
CliResult RunPgreplica(const Workspace& ws, const std::vector<std::string>& args,
                       const std::string& stdin_text = "",
                       const std::vector<std::pair<std::string, std::string>>& env = {});
// The same inside a separate network host (tests/support/hosts.h): `ip netns exec NETNS`,
// which also gives it the host's /etc/hosts. Needs root.
CliResult RunPgreplicaIn(const std::string& netns, const Workspace& ws,
                         const std::vector<std::string>& args, const std::string& stdin_text = "",
                         const std::vector<std::pair<std::string, std::string>>& env = {});

// A configuration file for a standby of `primary` in the workspace: the OS
// user, bindir, the replication secret (mode 0600) and a password file path.
// `extra_yaml` is appended after the "local:" section, which comes last: lines
// indented by two spaces add local keys, unindented lines add sections.
struct TestConfig {
  std::string path;         // the YAML file
  std::string secret_file;  // replication password, mode 0600
  std::string pgpass_file;  // local.pgpass_file (not written yet)
  std::string state_dir;
};
TestConfig WriteConfig(const Workspace& ws, const Cluster& primary,
                       const std::string& extra_yaml = "");

}  // namespace pgreplica::testing
