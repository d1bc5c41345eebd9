#include "replica/basebackup.h"

#include <fmt/format.h>

#include "common/number.h"

#include "proc/child.h"

namespace pgreplica::replica {

namespace {
// How long pg_basebackup may go on after its first error before it is stopped.
constexpr auto kErrorGrace = std::chrono::seconds(3);
}  // namespace

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
  std::optional<std::chrono::steady_clock::time_point> first_error;
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
    if (!first_error && line.find("error: ") != std::string::npos)
      first_error = std::chrono::steady_clock::now();
  };
  // Every "error:" of pg_basebackup means the copy fails. When its WAL stream fails (a silent
  // link times out there first, since it sends), the main process may still wait on its own
  // connection, and TCP gives up on that one only network_timeout after the main process's
  // last send: up to twice the timeout in all. So pg_basebackup gets a few seconds to end by
  // itself after its first error, then it is stopped.
  bool stopped_after_error = false;
  auto cancel = [&] {
    if (hooks.cancel && hooks.cancel()) return true;
    if (first_error && std::chrono::steady_clock::now() - *first_error > kErrorGrace) {
      stopped_after_error = true;
      return true;
    }
    return false;
  };
  auto status =
      child->Wait({.on_line = on_line, .cancel = cancel, .grace = std::chrono::seconds(10)});
  if (status.ok()) return {};
  if (status.cancelled && !stopped_after_error)
    return Fail(ErrorKind::kInterrupted, "the copy was interrupted");
  std::string detail;
  for (const auto& m : messages) detail += (detail.empty() ? "" : "\n") + m;
  // The kernel gave up the connection (tcp_user_timeout, keepalives): the primary or the link
  // went silent. Say so in the message, not only in pg_basebackup's lines.
  if (spec.primary.network_timeout > 0 && detail.find("timed out") != std::string::npos) {
    return Fail(ErrorKind::kChildFailed,
                fmt::format("pg_basebackup lost the primary: nothing was heard from it for "
                            "network_timeout ({} s)",
                            spec.primary.network_timeout),
                detail,
                "The link to the primary or the primary itself went silent. Check them and run "
                "the clone again; raise network_timeout if the link is known to stall this long.");
  }
  return Fail(ErrorKind::kChildFailed, fmt::format("pg_basebackup {}", status.Describe()), detail,
              "The messages above come from pg_basebackup and the primary.");
}

}  // namespace pgreplica::replica
