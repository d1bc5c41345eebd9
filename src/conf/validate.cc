#include "conf/validate.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/number.h"
#include "common/text.h"

namespace pgreplica::conf {

namespace {
bool HasControl(const std::string& v) {
  return std::any_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}
// A value in a reason, quoted: the reason becomes a DETAIL, which keeps line breaks.
std::string Q(const std::string& v) { return "\"" + Printable(v) + "\""; }
constexpr size_t kMaxIdentifier = 63;  // NAMEDATALEN - 1
}  // namespace

Problem CheckNoControl(const std::string& v) {
  if (HasControl(v)) return "The value must not contain control characters or line breaks.";
  return std::nullopt;
}

Problem CheckHost(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v.front() == '/') {
    if (HasControl(v) || v.find_first_of("'\" ") != std::string::npos)
      return "A socket directory must not contain spaces, quotes or control characters.";
    return std::nullopt;
  }
  if (v.size() > 253) return "A host name has at most 253 characters.";
  for (unsigned char c : v) {
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) {
      return fmt::format(
          "A host name may contain only letters, digits, \".\", \"-\", \"_\" and \":\"; found {}.",
          c == ' ' ? std::string("a space")
                   : fmt::format("\"{}\"", Printable(std::string(1, static_cast<char>(c)))));
    }
  }
  return std::nullopt;
}

Problem CheckIdentifierText(const std::string& v) {
  if (v.empty()) return "The name must not be empty.";
  if (v.size() > kMaxIdentifier) return "The name must have at most 63 bytes.";
  return CheckNoControl(v);
}

Problem CheckOsUserName(const std::string& v) {
  if (v.empty()) return "The user name must not be empty.";
  if (v == "root")
    return "PostgreSQL refuses to run as root; set the unprivileged user it runs as (such as "
           "postgres).";
  for (unsigned char c : v)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.'))
      return "An OS user name may contain only letters, digits, \"_\", \"-\" and \".\".";
  return std::nullopt;
}

Problem CheckAbsolutePath(const std::string& v) {
  if (v.empty() || v.front() != '/') return fmt::format("{} is not an absolute path.", Q(v));
  return CheckNoControl(v);
}

Problem CheckOptionalAbsolutePath(const std::string& v) {
  return v.empty() ? std::nullopt : CheckAbsolutePath(v);
}

Problem CheckOptionalDirectory(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (auto p = CheckAbsolutePath(v)) return p;
  struct stat st {};
  if (stat(v.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fmt::format("The directory {} does not exist.", Q(v));
  return std::nullopt;
}

Problem CheckSlotName(const std::string& v) {
  if (v.empty()) return "A slot name must not be empty.";
  if (v.size() > kMaxIdentifier) return "A slot name has at most 63 bytes.";
  for (unsigned char c : v)
    if (!(std::islower(c) || std::isdigit(c) || c == '_'))
      return "A slot name may contain only lower-case letters, digits and underscores.";
  return std::nullopt;
}

Problem CheckOptionalSlotName(const std::string& v) {
  return v.empty() ? std::nullopt : CheckSlotName(v);
}

Problem CheckNodeName(const std::string& v) {
  if (v.empty()) return "The node name is empty.";
  if (v.size() > 253) return "A host name has at most 253 characters.";
  unsigned char buf[16];
  if (inet_pton(AF_INET, v.c_str(), buf) == 1 || v.find(':') != std::string::npos)
    return fmt::format("{} is an address; the slot is named after the replica's host name.", Q(v));
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    std::string label = v.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty()) return fmt::format("{} is not a host name: it has an empty label.", Q(v));
    if (label.size() > 63) return "A label of a host name has at most 63 characters.";
    if (label.front() == '-')
      return fmt::format("{} is not a host name: a label starts with \"-\".", Q(v));
    for (unsigned char c : label) {
      if (!(std::isalnum(c) || c == '-' || c == '_')) {
        return fmt::format(
            "{} is not a host name: it may contain only letters, digits, \"-\", \"_\" and "
            "dots between labels.",
            Q(v));
      }
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

Problem CheckOptionalCidr(const std::string& v) {
  if (v.empty() || v == "samehost" || v == "samenet") return std::nullopt;
  auto slash = v.find('/');
  std::string addr = v.substr(0, slash);
  unsigned char buf[16];
  bool v4 = inet_pton(AF_INET, addr.c_str(), buf) == 1;
  bool v6 = !v4 && inet_pton(AF_INET6, addr.c_str(), buf) == 1;
  if (!v4 && !v6) return fmt::format("{} is not an IP address or CIDR block.", Q(v));
  if (slash != std::string::npos) {
    std::string bits = v.substr(slash + 1);
    int max = v4 ? 32 : 128;
    auto n = ParseInt(bits);
    if (!n || *n < 0 || *n > max) return fmt::format("{} has an invalid prefix length.", Q(v));
  }
  return std::nullopt;
}

std::string NormalizeCidr(const std::string& v) {
  if (v.empty() || v == "samehost" || v == "samenet" || v.find('/') != std::string::npos) return v;
  unsigned char buf[16];
  if (inet_pton(AF_INET, v.c_str(), buf) == 1) return v + "/32";
  if (inet_pton(AF_INET6, v.c_str(), buf) == 1) return v + "/128";
  return v;
}

Problem CheckStandbyName(const std::string& v) {
  if (v.empty())
    return "A standby name must not be empty: an empty entry matches no standby, and the check "
           "would stay CRITICAL.";
  return CheckNoControl(v);
}

Problem CheckServiceType(const std::string& v) {
  if (v == "pg_ctl" || v == "systemd" || v == "service" || v == "custom") return std::nullopt;
  return fmt::format("{} is not a service type; use pg_ctl, systemd, service or custom.", Q(v));
}

Problem CheckOptionalUnitName(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v.front() == '-')
    return fmt::format("{} starts with \"-\" and would be taken for an option.", Q(v));
  if (HasControl(v) || v.find_first_of(" \t/'\"\\") != std::string::npos)
    return "A unit name must not contain spaces, \"/\", quotes, backslashes or control "
           "characters.";
  return std::nullopt;
}

Problem CheckShellQuotablePath(const std::string& v) {
  if (HasControl(v) || v.find_first_of("\"$`\\") != std::string::npos)
    return fmt::format(
        "{} contains a character that is special inside double quotes for /bin/sh (\", $, ` "
        "or \\) or a control character.",
        Q(v));
  return std::nullopt;
}

Problem CheckOptionalRate(const std::string& v) {
  if (v.empty()) return std::nullopt;
  size_t digits = 0;
  while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits]))) ++digits;
  std::string unit = v.substr(digits);
  auto number = ParseUint64(std::string_view(v).substr(0, digits));
  if (digits == 0 || digits > 9 || !number || !(unit.empty() || unit == "k" || unit == "M"))
    return fmt::format("{} is not a rate; use kilobytes per second, or a number with k or M.",
                       Q(v));
  // pg_basebackup's own limits, checked here so that a clone does not fail after its preflight.
  std::uint64_t kb = *number * (unit == "M" ? 1024 : 1);
  if (kb < 32 || kb > 1048576)
    return fmt::format("{} is outside pg_basebackup's range of 32k to 1024M.", Q(v));
  return std::nullopt;
}

namespace {

// The compression detail after ':': a level, or "level=N" and (zstd only) "workers=N" separated
// by commas, as pg_basebackup 15 reads it.
Problem CheckCompressDetail(const std::string& spec, const std::string& method,
                            const std::string& detail) {
  struct Range {
    const char* method;
    int lo, hi;
  };
  // The levels that PostgreSQL 15 accepts (common/compression.c).
  constexpr Range kLevels[] = {{"gzip", 1, 9}, {"lz4", 1, 12}, {"zstd", -131072, 22}};
  auto level_problem = [&](const std::string& text) -> Problem {
    auto n = ParseInt(text);
    for (const auto& r : kLevels) {
      if (method != r.method) continue;
      if (n && *n >= r.lo && *n <= r.hi) return std::nullopt;
      return fmt::format("{}: {} takes a compression level from {} to {}.", Q(spec), method, r.lo,
                         r.hi);
    }
    return fmt::format("{}: {} takes no compression level.", Q(spec), method);
  };
  if (detail.empty()) return fmt::format("{}: nothing follows \":\".", Q(spec));
  if (detail.find('=') == std::string::npos && detail.find(',') == std::string::npos)
    return level_problem(detail);
  size_t start = 0;
  while (true) {
    size_t comma = detail.find(',', start);
    std::string item = detail.substr(start, comma == std::string::npos ? comma : comma - start);
    auto eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "level") {
      if (auto p = level_problem(value)) return p;
    } else if (key == "workers" && method == "zstd") {
      auto n = ParseInt(value);
      if (!n || *n < 0)
        return fmt::format("{}: workers takes a number of threads (0 or more).", Q(spec));
    } else {
      return fmt::format("{}: {} is not an option of {} (level=N{}).", Q(spec), Q(key), method,
                         method == "zstd" ? ", workers=N" : "");
    }
    if (comma == std::string::npos) return std::nullopt;
    start = comma + 1;
  }
}

}  // namespace

Problem CheckOptionalCompress(const std::string& v) {
  if (v.empty() || v == "auto") return std::nullopt;
  if (HasControl(v) || v.find(' ') != std::string::npos)
    return "The value must be one word, without spaces.";
  const char* grammar =
      "server-gzip, server-lz4 or server-zstd, optionally followed by \":LEVEL\" or "
      "\":level=N\" (zstd also \",workers=N\"), none, or auto";
  std::string spec = v, location;
  for (const char* prefix : {"client-", "server-"}) {
    if (spec.starts_with(prefix)) {
      location = std::string(prefix, std::string_view(prefix).size() - 1);
      spec.erase(0, location.size() + 1);
      break;
    }
  }
  auto colon = spec.find(':');
  std::string method = spec.substr(0, colon);
  if (ParseInt(method)) {
    // A plain level is gzip on the client, which pg_basebackup allows only for tar format.
    return fmt::format(
        "{} asks for compression on this host, which pg_basebackup does only for tar format; "
        "pgreplica copies in plain format. Use {}.",
        Q(v), grammar);
  }
  if (method != "gzip" && method != "lz4" && method != "zstd" && method != "none")
    return fmt::format("{} is not a pg_basebackup compression method; use {}.", Q(v), grammar);
  if (method == "none") {
    if (colon != std::string::npos)
      return fmt::format("{}: none takes no compression level.", Q(v));
    return std::nullopt;
  }
  if (location != "server") {
    return fmt::format(
        "{} asks for compression on this host, which pg_basebackup does only for tar format; "
        "pgreplica copies in plain format. Use {}.",
        Q(v), grammar);
  }
  if (colon == std::string::npos) return std::nullopt;
  return CheckCompressDetail(v, method, spec.substr(colon + 1));
}

Problem CheckOptionalToken(const std::string& v) {
  if (HasControl(v) || v.find(' ') != std::string::npos)
    return "The value must be one word, without spaces.";
  return std::nullopt;
}

Problem CheckTablespaceMapping(const std::string& v) {
  if (auto p = CheckNoControl(v)) return p;
  auto eq = v.find('=');
  if (eq == std::string::npos || v.find('=', eq + 1) != std::string::npos || eq == 0 ||
      v[0] != '/' || eq + 1 >= v.size() || v[eq + 1] != '/')
    return fmt::format(
        "{} is not OLDDIR=NEWDIR: the tablespace's absolute location on the primary, \"=\", "
        "and its absolute location on this host.",
        Q(v));
  return std::nullopt;
}

}  // namespace pgreplica::conf
