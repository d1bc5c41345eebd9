#include "replica/hba.h"

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

// Whether the address field(s) starting at fields[3] cover `want`; sets `method_at`.
bool AddressCovers(const std::vector<HbaField>& f, const std::string& want, size_t& method_at) {
  method_at = 4;
  if (f[3].size() != 1) return false;
  const HbaWord& a = f[3][0];
  if (!a.quoted && a.text == "all") return true;
  if (a.text == want) return true;
  auto rule = ParseAddress(want, 32, 128);
  if (!rule || a.quoted) return false;
  std::optional<Network> line;
  if (a.text.find('/') != std::string::npos) {
    line = ParseAddress(a.text, 32, 128);
  } else if (auto plain = ParseAddress(a.text, 32, 128); plain && f.size() >= 6) {
    // "address netmask method": the mask is the next field.
    method_at = 5;
    if (f[4].size() != 1) return false;
    auto bits = MaskBits(f[4][0].text, plain->family);
    if (!bits) return false;
    line = plain;
    line->bits = *bits;
  } else {
    line = plain;
  }
  return line && Contains(*line, *rule);
}

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
    if (f.size() < 5 || f[0].size() != 1 || f[0][0].quoted) continue;
    const std::string& type = f[0][0].text;
    if (type != "host" && type != "hostssl" && type != "hostnossl" && type != "hostgssenc" &&
        type != "hostnogssenc")
      continue;
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

std::string InsertHbaRule(const std::string& contents, const HbaRule& rule) {
  std::istringstream in(contents);
  std::string line, out;
  bool inserted = false;
  // The comment names the user as printable text on one line.
  std::string who;
  for (unsigned char c : rule.user) who += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  while (std::getline(in, line)) {
    if (!inserted && !HbaFields(line).empty()) {
      out += "# Added by pgreplica primary setup: streaming replication for " + who + ".\n";
      out += FormatHbaLine(rule) + "\n";
      inserted = true;
    }
    out += line + "\n";
  }
  if (!inserted) {
    out += "# Added by pgreplica primary setup: streaming replication for " + who + ".\n";
    out += FormatHbaLine(rule) + "\n";
  }
  return out;
}

}  // namespace pgreplica::replica
