#pragma once
// libpq behind RAII: a Connection owns a PGconn, a QueryResult owns a
// PGresult. Values travel as query parameters; the few statements that take
// none (DDL, ALTER SYSTEM) quote them through libpq (QuoteIdent, QuoteLiteral).

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "pg/conninfo.h"

namespace pgreplica::pg {

class QueryResult {
 public:
  explicit QueryResult(PGresult* res) : res_(res, &PQclear) {}
  int rows() const { return PQntuples(res_.get()); }
  int columns() const { return PQnfields(res_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  // The text of a value; empty for NULL and for a row or column outside the result.
  std::string Get(int row, int col) const;
  // The value as a number; a kQuery error naming the column when it is NULL,
  // outside the result or not a number of that type.
  Result<int> GetInt(int row, int col) const;
  Result<std::int64_t> GetInt64(int row, int col) const;
  // Value by column name; nullopt when NULL, when there is no such column or the row is
  // outside the result.
  std::optional<std::string> Get(int row, std::string_view column) const;
  // The column's number; -1 when there is no such column.
  int Column(std::string_view name) const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> res_;
};

using Params = std::vector<std::optional<std::string>>;

class Connection {
 public:
  // Connects. `role` names the server in messages ("primary", "standby").
  // kAuth when a password was needed and none was found (the hint names a
  // password file that does not exist), or a password was sent and the
  // connection failed; kConnection otherwise: no answer in time, a database
  // that does not exist (SQLSTATE 3D000, with a hint about the database), any
  // other refusal. Waits at most params.connect_timeout seconds in all (0: no
  // limit).
  static Result<Connection> Open(const ConnParams& params, std::string_view role);

  // Runs one statement with parameters ($1, $2, ...) through the extended protocol. A
  // failure is kQuery with the server's message, its DETAIL and HINT first in detail and
  // hint, and its SQLSTATE in Error::sqlstate.
  Result<QueryResult> Exec(std::string_view sql, const Params& params = {});
  // Runs a statement through the simple protocol: for replication commands
  // (IDENTIFY_SYSTEM), which the extended protocol does not support. No parameters.
  Result<QueryResult> ExecSimple(std::string_view sql);

  // Quoting through libpq (PQescapeIdentifier/PQescapeLiteral), for the few
  // statements that take no parameters (DDL, ALTER SYSTEM).
  Result<std::string> QuoteIdent(std::string_view ident);
  Result<std::string> QuoteLiteral(std::string_view literal);
  // The SCRAM-SHA-256 verifier of a password, computed here: the password
  // itself never travels to the server or into its logs.
  Result<std::string> ScramVerifier(const std::string& password, const std::string& user);

  int server_version() const { return PQserverVersion(conn_.get()); }
  const ConnParams& params() const { return params_; }
  PGconn* raw() { return conn_.get(); }

 private:
  Connection(PGconn* conn, ConnParams params, std::string role)
      : conn_(conn, &PQfinish), params_(std::move(params)), role_(std::move(role)) {}
  Result<QueryResult> Check(PGresult* res, std::string_view sql);

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  ConnParams params_;
  std::string role_;
};

// Strips trailing newlines and libpq's doubled spaces from a server message.
std::string TrimMessage(std::string_view text);

// libpq's message of a failed connection made with PQERRORS_VERBOSE, split: the server's
// SQLSTATE ("FATAL:  3D000: database ... does not exist" -> "3D000"; empty when the server
// sent none) and the message as libpq shows it by default (the code and the LOCATION lines
// taken out), trimmed as TrimMessage does.
struct ConnectMessage {
  std::string text;
  std::string sqlstate;
};
ConnectMessage SplitVerboseMessage(std::string_view verbose);

}  // namespace pgreplica::pg
