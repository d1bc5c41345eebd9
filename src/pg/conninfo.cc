#include "pg/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>

#include <fmt/format.h>

namespace pgreplica::pg {

Keywords ToKeywords(const ConnParams& p) {
  Keywords kw;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) kw.emplace_back(k, v);
  };
  add("host", p.host);
  if (p.port > 0) kw.emplace_back("port", std::to_string(p.port));
  add("user", p.user);
  // As pg_basebackup and the WAL receiver do: a physical replication
  // connection names the database "replication", which is also the name
  // its ~/.pgpass entry matches.
  add("dbname", p.replication ? std::string("replication") : p.dbname);
  add("passfile", p.passfile);
  add("password", p.password);
  if (p.connect_timeout > 0) kw.emplace_back("connect_timeout", std::to_string(p.connect_timeout));
  add("application_name", p.application_name);
  if (p.network_timeout > 0) {
    // Probes start after a third of the timeout without a packet from the peer; the kernel
    // aborts the connection once the peer acknowledged nothing for network_timeout seconds
    // (with keepalives on, tcp_user_timeout also bounds the probes).
    int t = p.network_timeout;
    kw.emplace_back("keepalives", "1");
    kw.emplace_back("keepalives_idle", std::to_string(std::max(1, t / 3)));
    kw.emplace_back("keepalives_interval", std::to_string(std::max(1, t / 6)));
    kw.emplace_back("keepalives_count", "3");
    kw.emplace_back("tcp_user_timeout", std::to_string(t * 1000));
  }
  if (p.replication) kw.emplace_back("replication", "true");
  return kw;
}

KeywordArrays::KeywordArrays(const Keywords& keywords) {
  for (const auto& [k, v] : keywords) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
}

std::string QuoteConninfoValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string ToConninfo(const ConnParams& p) {
  std::string out;
  for (const auto& [k, v] : ToKeywords(p)) {
    if (k == "password" || k == "replication") continue;
    if (!out.empty()) out += ' ';
    out += k + "=" + QuoteConninfoValue(v);
  }
  return out;
}

std::string DescribeServer(const ConnParams& p) {
  std::string host = p.host.empty() ? "(default host)" : p.host;
  if (p.port > 0) return fmt::format("\"{}\" port {}", host, p.port);
  return fmt::format("\"{}\"", host);
}

std::map<std::string, std::string> ParseConninfo(const std::string& conninfo) {
  std::map<std::string, std::string> out;
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err != nullptr) PQfreemem(err);
  if (opts == nullptr) return out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o)
    if (o->val != nullptr) out[o->keyword] = o->val;
  PQconninfoFree(opts);
  return out;
}

}  // namespace pgreplica::pg
