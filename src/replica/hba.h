#pragma once
// pg_hba.conf lines for replication: finding ours, adding it.

#include <string>

namespace pgreplica::replica {

struct HbaRule {
  std::string user;     // replication role
  std::string address;  // CIDR, "samehost" or "samenet"
  std::string method = "scram-sha-256";
};

// The line pgreplica adds: "host replication <user> <address> <method>".
std::string FormatHbaLine(const HbaRule& rule);

// Whether `contents` already has a host/hostssl line whose database list has
// "replication", whose user list has the user (or "all"), for that address.
bool HbaHasRule(const std::string& contents, const HbaRule& rule);

// `contents` with the rule inserted before the first rule line (pg_hba.conf
// is first-match, so an earlier reject or md5 line would otherwise win).
std::string InsertHbaRule(const std::string& contents, const HbaRule& rule);

}  // namespace pgreplica::replica
