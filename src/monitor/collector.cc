#include "monitor/collector.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>

#include <fmt/format.h>

#include "common/number.h"
#include "common/text.h"
#include "monitor/resolve.h"
#include "pg/connection.h"

namespace pgreplica::monitor {

const char* const kStatusSql = R"SQL(
SELECT pg_is_in_recovery(), current_setting('server_version_num')::int,
       coalesce((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END)::text, '');
SELECT slot_name, slot_type, active, coalesce(active_pid, 0), coalesce(restart_lsn::text, ''),
       CASE WHEN restart_lsn IS NULL OR pg_is_in_recovery() THEN NULL
            ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END,
       coalesce(wal_status, ''), safe_wal_size, slot_name LIKE 'pgreplica\_copy\_%',
       coalesce(to_jsonb(s) ->> 'invalidation_reason', ''), to_jsonb(s) ->> 'inactive_since',
       extract(epoch FROM now() - (to_jsonb(s) ->> 'inactive_since')::timestamptz)::float8
FROM pg_replication_slots s ORDER BY slot_name;
SELECT r.pid, coalesce(r.application_name, ''), coalesce(host(r.client_addr), ''), coalesce(r.state, ''),
       coalesce(r.sync_state, ''), coalesce(s.slot_name, ''),
       (r.state = 'backup' OR b.pid IS NOT NULL OR r.application_name = 'pg_basebackup'
        OR coalesce(s.slot_name LIKE 'pgreplica\_copy\_%', false)
        OR ((s.slot_name IS NULL OR s.slot_name LIKE 'pg\_basebackup\_%')
            AND EXISTS (SELECT 1 FROM pg_stat_replication r2 JOIN pg_stat_progress_basebackup b2 ON b2.pid = r2.pid
                        WHERE r2.pid <> r.pid AND r2.application_name = r.application_name
                          AND r2.client_addr IS NOT DISTINCT FROM r.client_addr))),
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.sent_lsn)::bigint END,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.write_lsn)::bigint END,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn)::bigint END,
       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint END,
       extract(epoch FROM r.write_lag)::float8, extract(epoch FROM r.flush_lag)::float8,
       extract(epoch FROM r.replay_lag)::float8
FROM pg_stat_replication r
LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
LEFT JOIN pg_stat_progress_basebackup b ON b.pid = r.pid
ORDER BY r.pid;
SELECT coalesce(w.status, ''), coalesce(w.sender_host, ''), coalesce(w.sender_port, 0), coalesce(w.slot_name, ''),
       coalesce(pg_last_wal_receive_lsn()::text, ''), coalesce(pg_last_wal_replay_lsn()::text, ''),
       greatest(coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0), 0)::bigint,
       extract(epoch FROM now() - w.last_msg_receipt_time)::float8,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END
FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver w ON true;
)SQL";

namespace {

// Reads the columns of one result row; the first value that does not parse
// is remembered, so that a whole answer is judged once.
class Row {
 public:
  Row(const PGresult* r, int row, std::string& error) : r_(r), row_(row), error_(error) {}
  std::string Str(int col) const { return PQgetvalue(r_, row_, col); }
  bool Bool(int col) const { return Str(col) == "t"; }
  int Int(int col) const { return Number(col, ParseInt(Str(col))).value_or(0); }
  std::int64_t Int64(int col) const { return Number(col, ParseInt64(Str(col))).value_or(0); }
  std::optional<std::int64_t> OptInt64(int col) const {
    if (PQgetisnull(r_, row_, col)) return std::nullopt;
    return Number(col, ParseInt64(Str(col)));
  }
  std::optional<double> OptDouble(int col) const {
    if (PQgetisnull(r_, row_, col)) return std::nullopt;
    return Number(col, ParseDouble(Str(col)));
  }

 private:
  template <typename T>
  std::optional<T> Number(int col, std::optional<T> v) const {
    if (!v && error_.empty())
      error_ = fmt::format("unexpected value \"{}\" in column \"{}\" of the status query",
                           Printable(Str(col)), Printable(PQfname(r_, col)));
    return v;
  }
  const PGresult* r_;
  int row_;
  std::string& error_;
};

}  // namespace

std::optional<std::string> FillStatus(NodeStatus& n, const std::vector<const PGresult*>& res) {
  // Shape first: PQgetvalue outside the result returns a null pointer.
  constexpr int kColumns[] = {3, 12, 14, 10};
  if (res.size() != 4) return "unexpected answer to the status query";
  for (size_t i = 0; i < 4; ++i) {
    if (res[i] == nullptr || PQnfields(res[i]) != kColumns[i])
      return fmt::format("unexpected answer to the status query (result {})", i + 1);
  }
  if (PQntuples(res[0]) != 1 || PQntuples(res[3]) != 1)
    return "unexpected answer to the status query (row count)";
  std::string error;
  NodeStatus out = n;
  Row facts(res[0], 0, error);
  out.role = facts.Bool(0) ? "standby" : "primary";
  out.server_version = facts.Int(1);
  out.current_lsn = facts.Str(2);
  for (int i = 0; i < PQntuples(res[1]); ++i) {
    Row s(res[1], i, error);
    Slot slot{s.Str(0),      s.Str(1), s.Bool(2),     s.Int(3), s.Str(4),
              s.OptInt64(5), s.Str(6), s.OptInt64(7), s.Bool(8)};
    slot.invalidation_reason = s.Str(9);
    if (!PQgetisnull(res[1], i, 10)) slot.inactive_since = s.Str(10);
    slot.inactive_seconds = s.OptDouble(11);
    out.slots.push_back(std::move(slot));
  }
  for (int i = 0; i < PQntuples(res[2]); ++i) {
    Row ws(res[2], i, error);
    Walsender w;
    w.pid = ws.Int(0);
    w.application_name = ws.Str(1);
    w.client_addr = ws.Str(2);
    w.state = ws.Str(3);
    w.sync_state = ws.Str(4);
    w.slot_name = ws.Str(5);
    w.base_backup = ws.Bool(6);
    w.sent_lag_bytes = ws.OptInt64(7);
    w.write_lag_bytes = ws.OptInt64(8);
    w.flush_lag_bytes = ws.OptInt64(9);
    w.replay_lag_bytes = ws.OptInt64(10);
    w.write_lag_seconds = ws.OptDouble(11);
    w.flush_lag_seconds = ws.OptDouble(12);
    w.replay_lag_seconds = ws.OptDouble(13);
    out.walsenders.push_back(w);
  }
  if (out.role == "standby") {
    Row rc(res[3], 0, error);
    Receiver r;
    r.status = rc.Str(0);
    r.sender_host = rc.Str(1);
    r.sender_port = rc.Int(2);
    r.slot_name = rc.Str(3);
    r.received_lsn = rc.Str(4);
    r.replayed_lsn = rc.Str(5);
    r.bytes_behind = rc.Int64(6);
    r.last_message_age_seconds = rc.OptDouble(7);
    r.replay_paused = rc.Bool(9);
    // Everything received is replayed: no lag, however long the primary has
    // been idle. Otherwise: the age of the last replayed transaction. Without
    // a streaming receiver nothing is known, and nothing is claimed.
    if (r.status == "streaming") r.replay_lag_seconds = r.bytes_behind == 0 ? 0.0 : rc.OptDouble(8);
    out.receiver = r;
  }
  if (!error.empty()) return error;
  n = std::move(out);
  return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

struct Pending {
  const NodeSpec* spec;
  NodeStatus out;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn{nullptr, &PQfinish};
  enum class Phase { kConnecting, kQuerying, kDone } phase = Phase::kConnecting;
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  bool flushing = false;
  std::vector<ResultPtr> results;
  Clock::time_point start, deadline;

  void Finish(std::string error) {
    out.reachable = error.empty();
    out.error = std::move(error);
    out.query_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    conn.reset();
    phase = Phase::kDone;
  }
  std::string LibpqError() const { return pg::TrimMessage(PQerrorMessage(conn.get())); }

  void StartQuery() {
    PQsetnonblocking(conn.get(), 1);
    if (!PQsendQuery(conn.get(), kStatusSql))
      return Finish("could not send the status query: " + LibpqError());
    phase = Phase::kQuerying;
    flushing = true;
  }

  void AdvanceConnect() {
    poll = PQconnectPoll(conn.get());
    if (poll == PGRES_POLLING_FAILED)
      return Finish(fmt::format("could not connect: {}", LibpqError()));
    if (poll == PGRES_POLLING_OK) StartQuery();
  }

  void AdvanceQuery() {
    if (flushing) {
      int f = PQflush(conn.get());
      if (f < 0) return Finish("could not send the status query: " + LibpqError());
      flushing = f == 1;
      if (flushing) return;
    }
    if (!PQconsumeInput(conn.get())) return Finish("connection lost: " + LibpqError());
    while (!PQisBusy(conn.get())) {
      PGresult* r = PQgetResult(conn.get());
      if (r == nullptr) {
        std::vector<const PGresult*> raw;
        for (const auto& r : results) raw.push_back(r.get());
        return Finish(FillStatus(out, raw).value_or(""));
      }
      ResultPtr owned(r, &PQclear);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char* msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        return Finish(fmt::format("status query failed: {}", msg ? msg : LibpqError()));
      }
      results.push_back(std::move(owned));
    }
  }

  short Events() const {
    if (phase == Phase::kConnecting) return poll == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    return static_cast<short>(POLLIN | (flushing ? POLLOUT : 0));
  }
};

// Connects to the resolved addresses (all of them, in order, as libpq would
// after its own lookup); `host` stays the name, for the password file.
void Begin(Pending& p, const Resolution* resolved) {
  if (resolved != nullptr && !resolved->error.empty()) {
    p.Finish("could not connect: " + resolved->error);
    return;
  }
  pg::Keywords kw = pg::ToKeywords(p.spec->params);
  if (resolved != nullptr) {
    std::string hosts, addrs;
    for (const auto& a : resolved->addresses) {
      hosts += (hosts.empty() ? "" : ",") + p.spec->params.host;
      addrs += (addrs.empty() ? "" : ",") + a;
    }
    for (auto& [k, v] : kw)
      if (k == "host") v = hosts;
    kw.emplace_back("hostaddr", addrs);
  }
  pg::KeywordArrays arrays(kw);
  p.conn.reset(PQconnectStartParams(arrays.keys.data(), arrays.values.data(), 0));
  if (!p.conn || PQstatus(p.conn.get()) == CONNECTION_BAD) {
    p.Finish(fmt::format("could not connect: {}", p.conn ? p.LibpqError() : "out of memory"));
  }
}

}  // namespace

std::vector<NodeStatus> Collect(const std::vector<NodeSpec>& nodes) {
  std::vector<Pending> pending(nodes.size());
  std::vector<ResolveRequest> lookups;
  for (size_t i = 0; i < nodes.size(); ++i) {
    Pending& p = pending[i];
    p.spec = &nodes[i];
    p.start = Clock::now();
    p.deadline = p.start + p.spec->timeout;
    p.out.name = p.spec->name;
    p.out.host = p.spec->params.host;
    p.out.port = p.spec->params.port;
    p.out.expect_standby = p.spec->expect_standby;
    if (NeedsResolving(p.spec->params.host)) lookups.push_back({p.spec->params.host, p.deadline});
  }
  auto resolved = ResolveAll(lookups);
  for (auto& p : pending) {
    auto it = resolved.find(p.spec->params.host);
    Begin(p, it == resolved.end() ? nullptr : &it->second);
  }
  while (true) {
    std::vector<pollfd> fds;
    std::vector<Pending*> owners;
    auto now = Clock::now();
    for (auto& p : pending) {
      if (p.phase == Pending::Phase::kDone) continue;
      if (now >= p.deadline) {
        p.Finish(fmt::format("timed out after {:.1f} s", p.spec->timeout.count() / 1000.0));
        continue;
      }
      fds.push_back({PQsocket(p.conn.get()), p.Events(), 0});
      owners.push_back(&p);
    }
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 50);
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Pending& p = *owners[i];
      if (p.phase == Pending::Phase::kConnecting)
        p.AdvanceConnect();
      else if (p.phase == Pending::Phase::kQuerying)
        p.AdvanceQuery();
    }
  }
  std::vector<NodeStatus> out;
  for (auto& p : pending) out.push_back(std::move(p.out));
  return out;
}

}  // namespace pgreplica::monitor
