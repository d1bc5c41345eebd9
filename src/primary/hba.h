#pragma once
// pg_hba.conf lines for replication: reading the file the way the server
// does (first match wins), finding what decides for our role and address,
// adding our line.

#include <optional>
#include <string>
#include <vector>

namespace pgreplica::replica {

struct HbaRule {
  std::string user;     // replication role
  std::string address;  // CIDR, a plain address, "samehost" or "samenet"
  std::string method = "scram-sha-256";
};

// One word of a pg_hba.conf line: a quoted word is a name, never a keyword
// ("all" quoted is a role called all).
struct HbaWord {
  std::string text;
  bool quoted = false;
};
// A field of a line: a comma-separated list of words.
using HbaField = std::vector<HbaWord>;

// Splits one line into fields as the server does: white space separates
// fields, commas separate the words of a field, double quotes quote (two
// double quotes inside quotes are one literal quote), '#' outside quotes
// starts a comment.
std::vector<HbaField> HbaFields(const std::string& line);

// The line pgreplica adds: "host replication <user> <address> <method>", the
// user quoted (quotes doubled) unless it is a plain lower-case name.
std::string FormatHbaLine(const HbaRule& rule);

// The first line that applies to replication connections of rule.user from
// rule.address: a host* line whose database list has "replication", whose
// user list has the user or "all" (a +group, @file or /regex word is not
// taken to match), and whose address is "all", the same text, or a CIDR block
// (or address and mask) that contains rule.address. pg_hba.conf is
// first-match, so this line decides.
struct HbaMatch {
  int line_number = 0;  // 1-based
  std::string line;
  std::string method;
  bool rejects() const { return method == "reject"; }
};
std::optional<HbaMatch> FindHbaRule(const std::string& contents, const HbaRule& rule);

// The first "reject" line for replication connections whose address overlaps
// rule.address: it contains it, lies inside it, or cannot be compared (a host
// name, samehost, samenet, all); whose user list has rule.user, "all", or a
// +group or @file (which may hold the role). A line inserted first would
// override it for the overlapping addresses.
std::optional<HbaMatch> FindOverlappingReject(const std::string& contents, const HbaRule& rule);

// `contents` with the rule and its "# Added by pgreplica primary setup" comment
// inserted before the first rule line (pg_hba.conf is first-match, so an
// earlier reject or md5 line would otherwise win), and before the comments of
// earlier insertions, so that each comment stays above its own line.
std::string InsertHbaRule(const std::string& contents, const HbaRule& rule);

}  // namespace pgreplica::replica
