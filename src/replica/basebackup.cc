#include "replica/basebackup.h"

#include <cstdlib>

#include <fmt/format.h>

#include "proc/child.h"

namespace pgreplica::replica {

std::vector<std::string> BasebackupArgv(const BasebackupSpec& s) {
  pg::ConnParams conn = s.primary;
  conn.password.clear();
  conn.replication = false;  // pg_basebackup adds replication itself
  conn.dbname.clear();
  std::vector<std::string> argv = {s.bindir + "/pg_basebackup",
                                   "--pgdata=" + s.staging,
                                   "--dbname=" + pg::ToConninfo(conn),
                                   "--checkpoint=fast",
                                   "--wal-method=stream",
                                   "--write-recovery-conf",
                                   "--slot=" + s.slot,
                                   "--progress",
                                   "--no-password"};
  if (!s.max_rate.empty()) argv.push_back("--max-rate=" + s.max_rate);
  if (!s.compress.empty()) argv.push_back("--compress=" + s.compress);
  auto escape = [](const std::string& path) {
    std::string out;
    for (char c : path) {
      if (c == '=') out += '\\';  // pg_basebackup reads "\=" as a literal "="
      out += c;
    }
    return out;
  };
  for (const auto& [from, to] : s.tablespace_mapping)
    argv.push_back("--tablespace-mapping=" + escape(from) + "=" + escape(to));
  return argv;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ParseProgressKb(const std::string& line) {
  auto kb = line.find(" kB (");
  if (kb == std::string::npos) return std::nullopt;
  auto slash = line.rfind('/', kb);
  if (slash == std::string::npos) return std::nullopt;
  auto start = line.find_last_not_of("0123456789", slash - 1);
  start = start == std::string::npos ? 0 : start + 1;
  std::string done = line.substr(start, slash - start);
  std::string total = line.substr(slash + 1, kb - slash - 1);
  if (done.empty() || total.empty() || total.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::make_pair(std::strtoull(done.c_str(), nullptr, 10),
                        std::strtoull(total.c_str(), nullptr, 10));
}

Status RunBasebackup(const BasebackupSpec& spec, const proc::OsUser& user,
                     const std::string& passfile, const CopyHooks& hooks) {
  auto argv = BasebackupArgv(spec);
  auto child = proc::Child::Start({.argv = argv,
                                   .env = {{"PGPASSFILE", passfile}, {"LC_MESSAGES", "C"}},
                                   .run_as = user,
                                   .cwd = "/",
                                   // If pgreplica is killed, the copy must not go on into staging.
                                   .die_with_parent = true});
  if (!child) return std::unexpected(child.error());
  auto start = std::chrono::steady_clock::now();
  auto on_line = [&](const std::string& line) {
    if (auto kb = ParseProgressKb(line)) {
      CopyProgress p;
      p.done_bytes = kb->first * 1024;
      p.total_bytes = kb->second * 1024;
      p.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (p.elapsed_seconds > 0) p.rate_bytes_per_second = p.done_bytes / p.elapsed_seconds;
      if (p.rate_bytes_per_second > 0 && p.total_bytes >= p.done_bytes)
        p.eta_seconds = (p.total_bytes - p.done_bytes) / p.rate_bytes_per_second;
      if (hooks.on_progress) hooks.on_progress(p);
      return;
    }
    if (hooks.on_output) hooks.on_output(line);
  };
  auto status =
      child->Wait({.on_line = on_line, .cancel = hooks.cancel, .grace = std::chrono::seconds(10)});
  if (status.ok()) return {};
  if (status.cancelled) return Fail(ErrorKind::kInterrupted, "the copy was interrupted");
  return Fail(ErrorKind::kChildFailed, fmt::format("pg_basebackup {}", status.Describe()),
              child->TailText(), "The messages above come from pg_basebackup and the primary.");
}

}  // namespace pgreplica::replica
