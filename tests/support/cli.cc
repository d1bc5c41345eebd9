#include "support/cli.h"

#include <fmt/format.h>

#include "support/root_config.h"

namespace pgreplica::testing {

nlohmann::json CliResult::Json() const {
  return nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
}

CliResult RunPgreplica(const Workspace& ws, const std::vector<std::string>& args,
                       const std::string& stdin_text,
                       const std::vector<std::pair<std::string, std::string>>& env) {
  return RunPgreplicaIn("", ws, args, stdin_text, env);
}

CliResult RunPgreplicaIn(const std::string& netns, const Workspace& ws,
                         const std::vector<std::string>& args, const std::string& stdin_text,
                         const std::vector<std::pair<std::string, std::string>>& env) {
  static int counter = 0;
  std::string in = ws.WriteFile(fmt::format("stdin.{}", ++counter), stdin_text);
  std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" \"$@\" < \"$PGREPLICA_TEST_STDIN\"",
                                   PGREPLICA_BINARY};
  if (!netns.empty()) argv.insert(argv.begin(), {"ip", "netns", "exec", netns});
  argv.insert(argv.end(), args.begin(), args.end());
  proc::ChildSpec spec{.argv = argv, .env = {{"NO_COLOR", "1"}, {"PGREPLICA_TEST_STDIN", in}}};
  spec.env.insert(spec.env.end(), env.begin(), env.end());
  auto r = proc::Run(spec, {.timeout = std::chrono::minutes(15)});
  CliResult out;
  if (!r) {
    out.output = r.error().message;
    return out;
  }
  out.code = r->status.code;
  out.output = r->output;
  return out;
}

TestConfig WriteConfig(const Workspace& ws, const Cluster& primary, const std::string& extra) {
  const auto& env = TestEnv::Get();
  static int counter = 0;
  ++counter;
  TestConfig t;
  t.secret_file = ws.WriteFile(fmt::format("replication{}.secret", counter),
                               Cluster::kReplicationPassword + "\n");
  t.pgpass_file = ws.path() + fmt::format("/pgpass{}", counter);
  t.state_dir = ws.PrivateDir() + "/state";
  std::string yaml = fmt::format(
      "primary:\n"
      "  host: 127.0.0.1\n"
      "  port: {}\n"
      "  admin_user: {}\n"
      "  admin_passfile: {}\n"
      "replication:\n"
      "  user: {}\n"
      "  password_file: {}\n"
      "state_directory: {}\n"
      "connect_timeout: 5\n"
      "local:\n"
      "  os_user: {}\n"
      "  bindir: {}\n"
      "{}"
      "  pgpass_file: {}\n"
      // A throwaway cluster: the local standby may have the primary's superuser login.
      "  admin_passfile: {}\n",
      primary.port(), Cluster::kSuperuser, primary.admin_passfile(), Cluster::kReplicationUser,
      t.secret_file, t.state_dir, env.os_user.name, primary.bindir(),
      // A primary of another major version: pg_basebackup and pg_verifybackup from Debian's.
      primary.bindir() == env.bindir ? "" : fmt::format("  client_bindir: {}\n", env.bindir),
      t.pgpass_file, primary.admin_passfile());
  yaml += extra;
  t.path = WriteConfigFile(ws, fmt::format("pgreplica{}.yaml", counter), yaml);
  return t;
}

}  // namespace pgreplica::testing
