#include "conf/pgpass.h"

#include <sys/stat.h>

#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace pgreplica::conf {

std::string EscapePgpassField(std::string_view field) {
  std::string out;
  for (char c : field) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string FormatPgpassLine(const PgpassEntry& e) {
  // libpq takes a field that is exactly "*" as a wildcard, and a line that starts with '#' as
  // a comment; a backslash makes either literal. (The fuzzer found the '#'.)
  auto field = [](std::string_view v) {
    return v == "*" ? std::string("\\*") : EscapePgpassField(v);
  };
  std::string host = field(e.host);
  return fmt::format("{}{}:{}:{}:{}:{}", host.starts_with('#') ? "\\" : "", host, field(e.port),
                     field(e.database), field(e.user), EscapePgpassField(e.password));
}

std::optional<PgpassEntry> ParsePgpassLine(std::string_view line) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      fields.back() += line[++i];
    } else if (c == ':' && fields.size() < 5) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (fields.size() != 5) return std::nullopt;
  return PgpassEntry{fields[0], fields[1], fields[2], fields[3], fields[4]};
}

std::string MergePgpass(const std::string& existing, const PgpassEntry& entry, bool* changed) {
  std::string out;
  std::string line_new = FormatPgpassLine(entry);
  bool placed = false;
  std::istringstream in(existing);
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = ParsePgpassLine(line);
    bool same_key = parsed && parsed->host == entry.host && parsed->port == entry.port &&
                    parsed->database == entry.database && parsed->user == entry.user;
    if (!same_key) {
      out += line + "\n";
    } else if (!placed) {
      out += line_new + "\n";
      placed = true;
    }
  }
  if (!placed) out += line_new + "\n";
  if (changed) *changed = out != existing;
  return out;
}

Result<bool> WritePgpassEntry(const std::string& path, const PgpassEntry& entry, Owner owner) {
  // libpq reads the file line by line: a line break in a field would end the
  // entry early and start another (never name the field's value: it may be the password).
  for (const std::string* field :
       {&entry.host, &entry.port, &entry.database, &entry.user, &entry.password}) {
    if (field->find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos) {
      return Fail(
          ErrorKind::kConfigInvalid,
          fmt::format("cannot write an entry with a line break to password file \"{}\"", path),
          "A field of the entry holds a line break or a NUL byte, which a password file "
          "cannot hold; the file was not changed.");
    }
  }
  std::string existing;
  auto st = StatPath(path);
  if (!st) return std::unexpected(st.error());
  if (*st) {
    if (!S_ISREG((*st)->st_mode)) {
      return Fail(ErrorKind::kFileAccess,
                  fmt::format("password file \"{}\" is not a regular file", path), "",
                  "Remove it or choose another path with --file.");
    }
    auto text = ReadFile(path, 1 << 20);
    if (!text) return std::unexpected(text.error());
    existing = std::move(*text);
  }
  bool changed = false;
  std::string merged = MergePgpass(existing, entry, &changed);
  bool mode_ok = *st && ((*st)->st_mode & 07777) == 0600 && (*st)->st_uid == owner.uid &&
                 (*st)->st_gid == owner.gid;
  if (!changed && mode_ok) return false;
  if (auto ok = WriteFileAtomic(path, merged, 0600, owner); !ok) return std::unexpected(ok.error());
  return true;
}

}  // namespace pgreplica::conf
