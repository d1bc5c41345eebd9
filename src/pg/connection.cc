#include "pg/connection.h"

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "common/number.h"
#include "common/text.h"

namespace pgreplica::pg {

std::string TrimMessage(std::string_view text) {
  std::string out(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  // libpq separates severity and text with two spaces ("FATAL:  password ...").
  for (size_t pos; (pos = out.find(":  ")) != std::string::npos;) out.erase(pos + 1, 1);
  return out;
}

std::string QueryResult::Get(int row, int col) const {
  const char* v = PQgetvalue(res_.get(), row, col);  // null outside the result
  return v ? v : "";
}

namespace {

template <typename T>
Result<T> Number(const PGresult* res, int row, int col,
                 std::optional<T> (*parse)(std::string_view)) {
  const char* v = PQgetvalue(res, row, col);
  if (v != nullptr && !PQgetisnull(res, row, col)) {
    if (auto n = parse(v)) return *n;
  }
  const char* name = PQfname(res, col);
  return Fail(ErrorKind::kQuery, "unexpected answer from the server",
              fmt::format("Column \"{}\" of row {} holds {} where a number was expected.",
                          Printable(name ? name : "?"), row + 1,
                          v == nullptr                 ? std::string("nothing")
                          : PQgetisnull(res, row, col) ? std::string("NULL")
                                                       : "\"" + Printable(v) + "\""));
}

}  // namespace

Result<int> QueryResult::GetInt(int row, int col) const {
  return Number<int>(res_.get(), row, col, &ParseInt);
}

Result<std::int64_t> QueryResult::GetInt64(int row, int col) const {
  return Number<std::int64_t>(res_.get(), row, col, &ParseInt64);
}

std::optional<std::string> QueryResult::Get(int row, std::string_view column) const {
  int col = Column(column);
  if (col < 0 || row >= rows() || IsNull(row, col)) return std::nullopt;
  return Get(row, col);
}

int QueryResult::Column(std::string_view name) const {
  return PQfnumber(res_.get(), std::string(name).c_str());
}

ConnectMessage SplitVerboseMessage(std::string_view verbose) {
  ConnectMessage out;
  std::string kept;
  size_t start = 0;
  while (start < verbose.size()) {
    size_t end = verbose.find('\n', start);
    std::string_view line =
        verbose.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? verbose.size() : end + 1;
    // Fields only PQERRORS_VERBOSE shows.
    bool verbose_only = false;
    for (std::string_view field : {"LOCATION:  ", "SCHEMA NAME:  ", "TABLE NAME:  ",
                                   "COLUMN NAME:  ", "DATATYPE NAME:  ", "CONSTRAINT NAME:  "})
      verbose_only = verbose_only || line.starts_with(field);
    if (verbose_only) continue;
    std::string text(line);
    // "SEVERITY:  XXXXX: message": the code follows libpq's two spaces.
    for (size_t at = text.find(":  "); at != std::string::npos; at = text.find(":  ", at + 1)) {
      size_t code = at + 3;
      auto is_code = [&](size_t i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        return std::isdigit(c) || std::isupper(c);
      };
      if (code + 7 <= text.size() && text.compare(code + 5, 2, ": ") == 0 && is_code(code) &&
          is_code(code + 1) && is_code(code + 2) && is_code(code + 3) && is_code(code + 4)) {
        if (out.sqlstate.empty()) out.sqlstate = text.substr(code, 5);
        text.erase(code, 7);
        break;
      }
    }
    kept += text + "\n";
  }
  out.text = TrimMessage(kept);
  return out;
}

namespace {

// Connects with PQconnectPoll, so that libpq formats a failure with the server's SQLSTATE
// (PQERRORS_VERBOSE must be set before the server answers); the deadline stands in for
// connect_timeout, which only PQconnectdb enforces.
PGconn* ConnectVerbose(const ConnParams& params, const char* const* keys,
                       const char* const* values) {
  PGconn* conn = PQconnectStartParams(keys, values, 0);
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) return conn;
  PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (params.connect_timeout > 0)
    deadline = Clock::now() + std::chrono::seconds(params.connect_timeout);
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
    int timeout_ms = -1;
    if (deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) break;
      timeout_ms = static_cast<int>(std::min<long long>(left, 1000));
    }
    pollfd fd{PQsocket(conn), static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT),
              0};
    int ready = fd.fd < 0 ? 1 : poll(&fd, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0) continue;  // the deadline is checked above
    state = PQconnectPoll(conn);
  }
  return conn;
}

}  // namespace

Result<Connection> Connection::Open(const ConnParams& params, std::string_view role) {
  Keywords kw = ToKeywords(params);
  KeywordArrays arrays(kw);
  PGconn* raw = ConnectVerbose(params, arrays.keys.data(), arrays.values.data());
  if (raw == nullptr) return Fail(ErrorKind::kSystem, "out of memory connecting to the server");
  Connection conn(raw, params, std::string(role));
  if (PQstatus(raw) == CONNECTION_OK) {
    PQsetErrorVerbosity(raw, PQERRORS_DEFAULT);
    return conn;
  }

  std::string what = fmt::format("could not connect to {} {}", role, DescribeServer(params));
  if (params.replication) what += " for replication";
  if (PQstatus(raw) != CONNECTION_BAD) {
    return Fail(ErrorKind::kConnection, what,
                fmt::format("No answer within {} s (connect_timeout).", params.connect_timeout),
                "Check that the server is running and accepts connections from this host "
                "(listen_addresses, pg_hba.conf, firewall).");
  }
  ConnectMessage failure = SplitVerboseMessage(PQerrorMessage(raw));
  const std::string& reason = failure.text;
  if (failure.sqlstate == "3D000") {
    // invalid_catalog_name: the login worked, the database does not exist.
    return Fail(ErrorKind::kConnection, what, reason,
                params.replication
                    ? "Check the connection's dbname."
                    : fmt::format("The database \"{}\" does not exist on that server. Set "
                                  "primary.dbname (--dbname) to a database that exists, such as "
                                  "postgres.",
                                  params.dbname));
  }
  if (PQconnectionNeedsPassword(raw)) {
    std::string hint =
        params.replication
            ? "No password was found for this user. Write it with \"pgreplica pgpass\"."
            : "No password was found for this user. Add it to the password file "
              "(~/.pgpass or PGPASSFILE).";
    struct stat st {};
    if (params.password.empty() && !params.passfile.empty() &&
        stat(params.passfile.c_str(), &st) != 0 && errno == ENOENT) {
      hint = fmt::format(
          "The password file \"{}\" given for this connection does not exist. {}", params.passfile,
          params.replication
              ? "Write it with \"pgreplica pgpass\"."
              : "Create it (mode 0600) with a line host:port:database:user:password, "
                "or set primary.admin_passfile (--admin-passfile) to the file that "
                "has the password.");
    }
    return Fail(ErrorKind::kAuth, what, reason, hint);
  }
  if (PQconnectionUsedPassword(raw)) {
    return Fail(ErrorKind::kAuth, what, reason,
                "Check the user name and password, and the server's pg_hba.conf.");
  }
  return Fail(ErrorKind::kConnection, what, reason,
              "Check that the server is running and accepts connections from this host "
              "(listen_addresses, pg_hba.conf, firewall).");
}

Result<QueryResult> Connection::Check(PGresult* res, std::string_view sql) {
  QueryResult result(res);
  auto status = PQresultStatus(res);
  if (res != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
  auto field = [&](int code) -> std::string {
    const char* v = res ? PQresultErrorField(res, code) : nullptr;
    return v ? v : "";
  };
  std::string reason = field(PG_DIAG_MESSAGE_PRIMARY);
  if (reason.empty()) reason = TrimMessage(PQerrorMessage(conn_.get()));
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  std::string first_word(sql.substr(0, sql.find_first_of(" \n(")));
  // The server's own DETAIL and HINT often hold the answer (which object
  // depends on which, what to do); they come first, ours after.
  auto append = [](std::string& text, const std::string& sentence) {
    if (!text.empty()) text += text.ends_with('.') ? " " : ". ";
    text += sentence;
  };
  std::string detail = field(PG_DIAG_MESSAGE_DETAIL);
  if (!sqlstate.empty())
    append(detail, fmt::format("SQLSTATE {} in a {} statement.", sqlstate, first_word));
  std::string hint = field(PG_DIAG_MESSAGE_HINT);
  if (sqlstate == "42501")
    append(hint, "The user needs more privileges (a superuser, or pg_monitor for monitoring).");
  Error e{ErrorKind::kQuery,
          fmt::format("query failed on {} {}: {}", role_, DescribeServer(params_), reason),
          std::move(detail), std::move(hint)};
  e.sqlstate = sqlstate;
  return std::unexpected(e);
}

Result<QueryResult> Connection::Exec(std::string_view sql, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string q(sql);
  PGresult* res = PQexecParams(conn_.get(), q.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  return Check(res, sql);
}

Result<QueryResult> Connection::ExecSimple(std::string_view sql) {
  std::string q(sql);
  return Check(PQexec(conn_.get(), q.c_str()), sql);
}

Result<std::string> Connection::QuoteIdent(std::string_view ident) {
  char* q = PQescapeIdentifier(conn_.get(), ident.data(), ident.size());
  if (q == nullptr)
    return Fail(ErrorKind::kInternal, "could not quote an identifier",
                TrimMessage(PQerrorMessage(conn_.get())));
  std::string out(q);
  PQfreemem(q);
  return out;
}

Result<std::string> Connection::QuoteLiteral(std::string_view literal) {
  char* q = PQescapeLiteral(conn_.get(), literal.data(), literal.size());
  if (q == nullptr)
    return Fail(ErrorKind::kInternal, "could not quote a literal",
                TrimMessage(PQerrorMessage(conn_.get())));
  std::string out(q);
  PQfreemem(q);
  return out;
}

Result<std::string> Connection::ScramVerifier(const std::string& password,
                                              const std::string& user) {
  char* v = PQencryptPasswordConn(conn_.get(), password.c_str(), user.c_str(), "scram-sha-256");
  if (v == nullptr) {
    return Fail(ErrorKind::kInternal, "could not compute the SCRAM verifier of the password",
                TrimMessage(PQerrorMessage(conn_.get())));
  }
  std::string out(v);
  PQfreemem(v);
  return out;
}

}  // namespace pgreplica::pg
