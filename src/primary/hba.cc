#include "primary/hba.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include "common/number.h"

namespace pgreplica::replica {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool ListHas(const HbaField& list, const std::string& want, bool keyword) {
  return std::any_of(list.begin(), list.end(),
                     [&](const HbaWord& w) { return w.text == want && (!keyword || !w.quoted); });
}

bool NeedsQuotes(const std::string& s) {
  return s.empty() ||
         !std::all_of(
             s.begin(), s.end(),
             [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; }) ||
         s == "all" || s == "replication" || s == "sameuser" || s == "samerole" || s == "samegroup";
}

// An address with its prefix length: 4 or 16 bytes.
struct Network {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  int bits = 0;
};

std::optional<Network> ParseAddress(const std::string& text, int default_bits_v4,
                                    int default_bits_v6) {
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  Network n;
  if (inet_pton(AF_INET, addr.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET;
    n.bits = default_bits_v4;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET6;
    n.bits = default_bits_v6;
  } else {
    return std::nullopt;
  }
  if (slash != std::string::npos) {
    auto bits = ParseInt(std::string_view(text).substr(slash + 1));
    int max = n.family == AF_INET ? 32 : 128;
    if (!bits || *bits < 0 || *bits > max) return std::nullopt;
    n.bits = *bits;
  }
  return n;
}

// The prefix length of a netmask ("255.255.255.0" -> 24), if it is one.
std::optional<int> MaskBits(const std::string& mask, int family) {
  std::array<unsigned char, 16> b{};
  if (inet_pton(family, mask.c_str(), b.data()) != 1) return std::nullopt;
  int len = family == AF_INET ? 4 : 16, bits = 0;
  bool ended = false;
  for (int i = 0; i < len; ++i) {
    for (int k = 7; k >= 0; --k) {
      bool one = (b[i] >> k) & 1;
      if (one && ended) return std::nullopt;
      if (one) ++bits;
      ended = ended || !one;
    }
  }
  return bits;
}

// Whether `outer` contains all of `inner`.
bool Contains(const Network& outer, const Network& inner) {
  if (outer.family != inner.family || outer.bits > inner.bits) return false;
  for (int i = 0; i < outer.bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((outer.bytes[byte] >> bit) & 1) != ((inner.bytes[byte] >> bit) & 1)) return false;
  }
  return true;
}

// The address of a host* line (fields[3], and fields[4] when it is a netmask).
struct LineAddress {
  bool all = false;            // the keyword all: every address
  std::string text;            // as written (a host name, samehost, samenet...)
  std::optional<Network> net;  // when it is an address or block
  bool valid = true;           // false: a list, or an address with a bad mask
  size_t method_at = 4;        // index of the method field
};

LineAddress ReadLineAddress(const std::vector<HbaField>& f) {
  LineAddress out;
  if (f[3].size() != 1) {
    out.valid = false;
    return out;
  }
  const HbaWord& a = f[3][0];
  out.text = a.text;
  out.all = !a.quoted && a.text == "all";
  if (a.quoted || out.all) return out;
  if (a.text.find('/') != std::string::npos) {
    out.net = ParseAddress(a.text, 32, 128);
    out.valid = out.net.has_value();
  } else if (auto plain = ParseAddress(a.text, 32, 128); plain && f.size() >= 6) {
    // "address netmask method": the mask is the next field.
    out.method_at = 5;
    auto bits = f[4].size() == 1 ? MaskBits(f[4][0].text, plain->family) : std::nullopt;
    if (!bits) {
      out.valid = false;
      return out;
    }
    out.net = plain;
    out.net->bits = *bits;
  } else {
    out.net = plain;
  }
  return out;
}

// Whether the address field(s) starting at fields[3] cover `want`; sets `method_at`.
bool AddressCovers(const std::vector<HbaField>& f, const std::string& want, size_t& method_at) {
  LineAddress line = ReadLineAddress(f);
  method_at = line.method_at;
  if (!line.valid) return false;
  if (line.all || line.text == want) return true;
  auto rule = ParseAddress(want, 32, 128);
  return rule && line.net && Contains(*line.net, *rule);
}

// Whether the line's address may share an address with `want`: it contains it, lies inside
// it, or cannot be compared (a host name, samehost, samenet, a list).
bool AddressOverlaps(const std::vector<HbaField>& f, const std::string& want, size_t& method_at) {
  LineAddress line = ReadLineAddress(f);
  method_at = line.method_at;
  if (line.all || line.text == want) return true;
  auto rule = ParseAddress(want, 32, 128);
  if (!rule || !line.net) return true;  // cannot tell: it may
  if (rule->family != line.net->family) return false;
  return Contains(*line.net, *rule) || Contains(*rule, *line.net);
}

bool IsHostType(const HbaField& type) {
  if (type.size() != 1 || type[0].quoted) return false;
  const std::string& t = type[0].text;
  return t == "host" || t == "hostssl" || t == "hostnossl" || t == "hostgssenc" ||
         t == "hostnogssenc";
}

constexpr std::string_view kAddedComment = "# Added by pgreplica primary setup: ";

}  // namespace

std::vector<HbaField> HbaFields(const std::string& line) {
  std::vector<HbaField> fields;
  size_t i = 0;
  const size_t n = line.size();
  bool continue_field = false;  // the last word ended with a comma
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n || line[i] == '#') break;
    HbaWord w;
    bool in_quote = false, comma = false;
    while (i < n) {
      char c = line[i];
      if (!in_quote && (IsBlank(c) || c == '#')) break;
      if (!in_quote && c == ',') {
        comma = true;
        ++i;
        break;
      }
      if (c == '"') {
        if (in_quote && i + 1 < n && line[i + 1] == '"') {
          w.text += '"';  // "" inside quotes is one literal quote
          i += 2;
          continue;
        }
        in_quote = !in_quote;
        w.quoted = true;
        ++i;
        continue;
      }
      w.text += c;
      ++i;
    }
    if (!continue_field || fields.empty()) fields.emplace_back();
    fields.back().push_back(std::move(w));
    continue_field = comma;
  }
  return fields;
}

std::string FormatHbaLine(const HbaRule& r) {
  std::string out = "host replication ";
  if (NeedsQuotes(r.user)) {
    out.push_back('"');
    for (char c : r.user) {
      if (c == '"') out.push_back('"');  // "" inside quotes is one literal quote
      out.push_back(c);
    }
    out.push_back('"');
  } else {
    out.append(r.user);
  }
  out.append(" ").append(r.address).append(" ").append(r.method);
  return out;
}

std::optional<HbaMatch> FindHbaRule(const std::string& contents, const HbaRule& rule) {
  std::istringstream in(contents);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto f = HbaFields(line);
    if (f.size() < 5 || !IsHostType(f[0])) continue;
    if (!ListHas(f[1], "replication", /*keyword=*/true)) continue;
    bool user = std::any_of(f[2].begin(), f[2].end(), [&](const HbaWord& w) {
      return (w.quoted || w.text.empty() ||
              (w.text[0] != '+' && w.text[0] != '@' && w.text[0] != '/')) &&
             (w.text == rule.user || (!w.quoted && w.text == "all"));
    });
    if (!user) continue;
    size_t method_at = 4;
    if (!AddressCovers(f, rule.address, method_at)) continue;
    if (f.size() <= method_at || f[method_at].empty()) continue;
    return HbaMatch{number, line, f[method_at][0].text};
  }
  return std::nullopt;
}

std::optional<HbaMatch> FindOverlappingReject(const std::string& contents, const HbaRule& rule) {
  std::istringstream in(contents);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto f = HbaFields(line);
    if (f.size() < 5 || !IsHostType(f[0])) continue;
    if (!ListHas(f[1], "replication", /*keyword=*/true)) continue;
    bool user = std::any_of(f[2].begin(), f[2].end(), [&](const HbaWord& w) {
      if (w.quoted) return w.text == rule.user;
      // +group and @file may hold the role: pgreplica does not look them up.
      return w.text == rule.user || w.text == "all" || w.text.starts_with('+') ||
             w.text.starts_with('@');
    });
    if (!user) continue;
    size_t method_at = 4;
    if (!AddressOverlaps(f, rule.address, method_at)) continue;
    if (f.size() <= method_at || f[method_at].empty()) continue;
    if (f[method_at][0].text != "reject") continue;
    return HbaMatch{number, line, "reject"};
  }
  return std::nullopt;
}

std::string InsertHbaRule(const std::string& contents, const HbaRule& rule) {
  std::vector<std::string> lines;
  std::istringstream in(contents);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // Before the first rule, and before the comments pgreplica put above it: each of them
  // belongs to the line below it.
  size_t at = 0;
  while (at < lines.size() && HbaFields(lines[at]).empty()) ++at;
  while (at > 0 && lines[at - 1].starts_with(kAddedComment)) --at;
  // The comment names the user as printable text on one line.
  std::string who;
  for (unsigned char c : rule.user) who += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  lines.insert(
      lines.begin() + static_cast<long>(at),
      {std::string(kAddedComment) + "streaming replication for " + who + ".", FormatHbaLine(rule)});
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace pgreplica::replica
