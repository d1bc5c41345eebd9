#include "replica/target.h"

namespace pgreplica::replica {

pg::ConnParams PrimaryAdminParams(const conf::Config& c) {
  pg::ConnParams p;
  p.host = c.primary.host;
  p.port = c.primary.port;
  p.user = c.primary.admin_user;
  p.dbname = c.primary.dbname;
  p.passfile = c.primary.admin_passfile;
  p.connect_timeout = c.connect_timeout;
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
  p.replication = true;
  return p;
}

}  // namespace pgreplica::replica
