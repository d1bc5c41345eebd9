#include "primary/target.h"

#include <fmt/format.h>

#include "pg/connection.h"

namespace pgreplica::replica {

pg::ConnParams PrimaryAdminParams(const conf::Config& c) {
  pg::ConnParams p;
  p.host = c.primary.host;
  p.port = c.primary.port;
  p.user = c.primary.admin_user;
  p.dbname = c.primary.dbname;
  p.passfile = c.primary.admin_passfile;
  p.connect_timeout = c.connect_timeout;
  p.network_timeout = c.network_timeout;
  return p;
}

pg::ConnParams PrimaryReplicationParams(const conf::Config& c, const std::string& password,
                                        const std::string& passfile) {
  pg::ConnParams p;
  p.host = c.primary.host;
  p.port = c.primary.port;
  p.user = c.replication.user;
  p.password = password;
  p.passfile = passfile;
  p.connect_timeout = c.connect_timeout;
  p.network_timeout = c.network_timeout;
  p.replication = true;
  return p;
}

Status VerifyReplicationLogin(const conf::Config& c, const std::string& password) {
  pg::ConnParams p = PrimaryReplicationParams(c, password, "");
  p.application_name = "pgreplica";
  auto conn = pg::Connection::Open(p, "primary");
  if (!conn) {
    return std::unexpected(conn.error().Context(
        fmt::format("the replication login \"{}\" does not work", c.replication.user)));
  }
  return {};
}

}  // namespace pgreplica::replica
