#pragma once
// Connection parameters and the conninfo strings built from them. Values are
// always quoted; a password is never part of a rendered string.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgreplica::pg {

struct ConnParams {
  std::string host;      // empty: libpq default (PGHOST, then the local socket)
  int port = 0;          // 0: libpq default (PGPORT, then 5432)
  std::string user;      // empty: libpq default (PGUSER, then the OS user)
  std::string dbname;    // empty: libpq default; ignored when `replication` ("replication")
  std::string passfile;  // empty: libpq default (PGPASSFILE, then ~/.pgpass)
  std::string password;  // in memory only; empty: from passfile
  int connect_timeout = 10;
  // Seconds after which an established connection whose peer went silent (a cut link, a host
  // that vanished) is given up: TCP keepalives probe an idle connection and tcp_user_timeout
  // ends it once nothing was acknowledged for this long. 0: the system's defaults (a silent
  // link then blocks for hours). A live but slow or idle server is never cut off: its kernel
  // answers the probes.
  int network_timeout = 0;
  std::string application_name = "pgreplica";
  // A physical replication connection: replication=true, and dbname "replication" (as
  // pg_basebackup and the WAL receiver use, and as its ~/.pgpass entry matches).
  bool replication = false;
};

using Keywords = std::vector<std::pair<std::string, std::string>>;

// The keyword/value pairs for PQconnectdbParams, empty values left out so
// that libpq's environment defaults apply. Includes the password if set.
Keywords ToKeywords(const ConnParams& params);

// NULL-terminated keyword and value arrays for PQconnectdbParams and
// PQconnectStartParams, pointing into `keywords` (which must outlive them).
struct KeywordArrays {
  explicit KeywordArrays(const Keywords& keywords);
  std::vector<const char*> keys, values;
};

// A conninfo string ("host='db1' port='5432' ...") for other programs (pg_basebackup
// --dbname): the keywords of ToKeywords, each value quoted, without the password and without
// replication=true (the program opens the kind of connection it needs; dbname is
// "replication" when params.replication is set).
std::string ToConninfo(const ConnParams& params);

// Quotes one conninfo value: single quotes, with \ and ' escaped.
std::string QuoteConninfoValue(std::string_view value);

// The keywords set in a conninfo string (libpq's own parser); empty when it does not parse.
std::map<std::string, std::string> ParseConninfo(const std::string& conninfo);

// `"db1.example.com" port 5432` for messages.
std::string DescribeServer(const ConnParams& params);

}  // namespace pgreplica::pg
