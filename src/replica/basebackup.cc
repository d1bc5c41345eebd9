#include "replica/basebackup.h"

#include <fmt/format.h>

#include "common/number.h"

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
  // "<done>/<total> kB (<percent>%), ...": the token right before " kB (".
  auto kb = line.find(" kB (");
  if (kb == std::string::npos) return std::nullopt;
  auto start = line.find_last_of(" \t\r", kb == 0 ? 0 : kb - 1);
  start = start == std::string::npos || start >= kb ? 0 : start + 1;
  std::string_view token = std::string_view(line).substr(start, kb - start);
  auto slash = token.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto done = ParseUint64(token.substr(0, slash));
  auto total = ParseUint64(token.substr(slash + 1));
  if (!done || !total) return std::nullopt;
  return std::make_pair(*done, *total);
}

std::optional<CopyProgress> ProgressFromKb(std::uint64_t done_kb, std::uint64_t total_kb,
                                           double elapsed_seconds) {
  auto done = CheckedMul(done_kb, 1024);
  auto total = CheckedMul(total_kb, 1024);
  if (!done || !total) return std::nullopt;
  CopyProgress p;
  p.done_bytes = *done;
  p.total_bytes = *total;
  p.elapsed_seconds = elapsed_seconds;
  if (elapsed_seconds > 0) p.rate_bytes_per_second = static_cast<double>(*done) / elapsed_seconds;
  if (p.rate_bytes_per_second > 0 && *total >= *done)
    p.eta_seconds = static_cast<double>(*total - *done) / p.rate_bytes_per_second;
  return p;
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
  // The messages for an error's detail: the last lines that are not progress lines.
  std::vector<std::string> messages;
  auto on_line = [&](const std::string& line) {
    if (auto kb = ParseProgressKb(line)) {
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // A count that overflows in bytes is no progress line; it is passed on as output.
      if (auto p = ProgressFromKb(kb->first, kb->second, elapsed)) {
        if (hooks.on_progress) hooks.on_progress(*p);
        return;
      }
    }
    if (hooks.on_output) hooks.on_output(line);
    messages.push_back(line);
    if (messages.size() > 20) messages.erase(messages.begin());
  };
  auto status =
      child->Wait({.on_line = on_line, .cancel = hooks.cancel, .grace = std::chrono::seconds(10)});
  if (status.ok()) return {};
  if (status.cancelled) return Fail(ErrorKind::kInterrupted, "the copy was interrupted");
  std::string detail;
  for (const auto& m : messages) detail += (detail.empty() ? "" : "\n") + m;
  return Fail(ErrorKind::kChildFailed, fmt::format("pg_basebackup {}", status.Describe()), detail,
              "The messages above come from pg_basebackup and the primary.");
}

}  // namespace pgreplica::replica
