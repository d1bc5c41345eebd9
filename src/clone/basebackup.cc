#include "clone/basebackup.h"

#include <libpq-fe.h>

#include <map>
#include <memory>

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
    // pg_basebackup's own errors only: a server WARNING can quote a file name with "error: ".
    if (!first_error && line.starts_with("pg_basebackup: error: "))
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
    return Fail(
        ErrorKind::kChildFailed,
        fmt::format("pg_basebackup lost the primary: nothing was heard from it for "
                    "network_timeout ({} s)",
                    spec.primary.network_timeout),
        detail,
        "The link to the primary or the primary's host went silent (a server process that only "
        "stalls is waited for). Check them and run "
        "the clone again; raise network_timeout if the link is known to stall this long.");
  }
  return Fail(ErrorKind::kChildFailed, fmt::format("pg_basebackup {}", status.Describe()), detail,
              "The messages above come from pg_basebackup and the primary.");
}

namespace {

// libpq connection options newer than PostgreSQL 13 (the oldest supported primary), with the
// major version whose libpq first knows them.
const std::map<std::string, int, std::less<>> kOptionSince = {{"sslsni", 14},
                                                              {"sslcrldir", 14},
                                                              {"require_auth", 16},
                                                              {"sslcertmode", 16},
                                                              {"load_balance_hosts", 16},
                                                              {"sslnegotiation", 17},
                                                              {"min_protocol_version", 18},
                                                              {"max_protocol_version", 18},
                                                              {"sslkeylogfile", 18},
                                                              {"oauth_issuer", 18},
                                                              {"oauth_client_id", 18},
                                                              {"oauth_client_secret", 18},
                                                              {"oauth_scope", 18},
                                                              {"scram_client_key", 18},
                                                              {"scram_server_key", 18}};

// The value of the last "primary_conninfo = '...'" line, unquoted as the server's
// configuration parser does ('' and backslash escapes).
std::optional<std::string> LastPrimaryConninfo(const std::string& text) {
  std::optional<std::string> found;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    constexpr std::string_view kKey = "primary_conninfo = '";
    if (!line.starts_with(kKey)) continue;
    std::string value;
    bool closed = false;
    for (size_t i = kKey.size(); i < line.size(); ++i) {
      char c = line[i];
      if (c == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
        value += '\'';
        ++i;
      } else if (c == '\'') {
        closed = true;
        break;
      } else if (c == '\\' && i + 1 < line.size()) {
        value += line[++i];
      } else {
        value += c;
      }
    }
    if (closed) found = value;
  }
  return found;
}

// A conninfo value as libpq reads it: bare when it can be, else in single quotes.
std::string ConninfoValue(const std::string& v) {
  bool bare = !v.empty() && v.find_first_of(" \t\n\r\f\v'\\") == std::string::npos;
  if (bare) return v;
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::optional<std::string> PrimaryConninfoForServer(const std::string& auto_conf,
                                                    int server_major) {
  auto conninfo = LastPrimaryConninfo(auto_conf);
  if (!conninfo) return std::nullopt;
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo->c_str(), &error), &PQconninfoFree);
  if (error != nullptr) PQfreemem(error);
  if (!options) return std::nullopt;
  std::string kept;
  bool dropped = false;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    auto since = kOptionSince.find(o->keyword);
    if (since != kOptionSince.end() && since->second > server_major) {
      dropped = true;
      continue;
    }
    kept += fmt::format("{}{}={}", kept.empty() ? "" : " ", o->keyword, ConninfoValue(o->val));
  }
  if (!dropped) return std::nullopt;
  std::string line = "primary_conninfo = '";
  for (char c : kept) {
    if (c == '\'' || c == '\\') line += c;  // doubled, as pg_basebackup writes it
    line += c;
  }
  return line + "'\n";
}

}  // namespace pgreplica::replica
