#include "replica/hba.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <utility>
#include <vector>

namespace pgreplica::replica {

namespace {

// Splits a pg_hba.conf line into tokens, honouring double quotes and comments.
std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, in_token = false;
  for (char c : line) {
    if (!quoted && c == '#') break;
    if (c == '"') {
      quoted = !quoted;
      in_token = true;
      continue;
    }
    if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
      if (in_token) out.push_back(std::exchange(cur, {}));
      in_token = false;
      continue;
    }
    cur += c;
    in_token = true;
  }
  if (in_token) out.push_back(cur);
  return out;
}

bool ListHas(const std::string& list, const std::string& want) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item == want) return true;
  return false;
}

bool NeedsQuotes(const std::string& s) {
  return s.empty() ||
         !std::all_of(
             s.begin(), s.end(),
             [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; }) ||
         s == "all" || s == "replication" || s == "sameuser" || s == "samerole";
}

}  // namespace

std::string FormatHbaLine(const HbaRule& r) {
  std::string user = NeedsQuotes(r.user) ? "\"" + r.user + "\"" : r.user;
  return "host replication " + user + " " + r.address + " " + r.method;
}

bool HbaHasRule(const std::string& contents, const HbaRule& rule) {
  std::istringstream in(contents);
  std::string line;
  while (std::getline(in, line)) {
    auto t = Tokens(line);
    if (t.size() < 5) continue;
    if (t[0] != "host" && t[0] != "hostssl") continue;
    if (!ListHas(t[1], "replication")) continue;
    if (!ListHas(t[2], rule.user) && !ListHas(t[2], "all")) continue;
    if (t[3] == rule.address) return true;
  }
  return false;
}

std::string InsertHbaRule(const std::string& contents, const HbaRule& rule) {
  std::istringstream in(contents);
  std::string line, out;
  bool inserted = false;
  while (std::getline(in, line)) {
    if (!inserted && !Tokens(line).empty()) {
      out += "# Added by pgreplica primary setup: streaming replication for " + rule.user + ".\n";
      out += FormatHbaLine(rule) + "\n";
      inserted = true;
    }
    out += line + "\n";
  }
  if (!inserted) {
    out += "# Added by pgreplica primary setup: streaming replication for " + rule.user + ".\n";
    out += FormatHbaLine(rule) + "\n";
  }
  return out;
}

}  // namespace pgreplica::replica
