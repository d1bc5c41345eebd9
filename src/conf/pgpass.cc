#include "conf/pgpass.h"

#include <fcntl.h>
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

std::optional<std::string> FindPgpassPassword(std::string_view text, const std::string& host,
                                              const std::string& port, const std::string& dbname,
                                              const std::string& user) {
  auto match = [](const std::string& field, const std::string& want) {
    return field == "*" || field == want;
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? text.npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto e = ParsePgpassLine(line);
    if (e && match(e->host, host) && match(e->port, port) && match(e->database, dbname) &&
        match(e->user, user))
      return e->password;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

Result<std::string> ReadPgpassPassword(const std::string& path, uid_t owner,
                                       const std::string& host, const std::string& port,
                                       const std::string& dbname, const std::string& user) {
  auto dir = Dir::Open(DirName(LexicalPath(path)));
  if (!dir) return std::unexpected(dir.error());
  std::string name = BaseName(path);
  auto fd = dir->OpenFile(name, O_RDONLY);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", path)));
  if (st.st_uid != owner || st.st_nlink != 1 || (st.st_mode & 077) != 0) {
    return Fail(ErrorKind::kInsecureFile,
                fmt::format("password file \"{}\" is not private to the OS user", path),
                fmt::format("It belongs to {}, has mode {:04o} and {} name(s).",
                            UserLabel(st.st_uid), st.st_mode & 07777, st.st_nlink),
                "Run \"pgreplica pgpass\": it writes the file with the right owner and mode 0600.");
  }
  // The contents of the file just checked, from the same fd.
  auto text = ReadAll(fd->get(), path, 1 << 20);
  if (!text) return std::unexpected(text.error());
  return FindPgpassPassword(*text, host, port, dbname, user).value_or("");
}

Result<bool> WritePgpassEntry(const std::string& path, const PgpassEntry& entry, Owner owner,
                              bool dry_run) {
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
  // The file lives in the OS user's home, which that user can write: it is read and replaced
  // through the directory's fd, never through a link, so that a planted link cannot make root
  // copy another file's contents into it.
  auto dir = Dir::Open(DirName(LexicalPath(path)));
  if (!dir) return std::unexpected(dir.error());
  std::string name = BaseName(path);
  auto st = dir->Stat(name);
  if (!st) return std::unexpected(st.error());
  std::string existing;
  if (*st) {
    if (!S_ISREG((*st)->st_mode)) {
      return Fail(S_ISLNK((*st)->st_mode) ? ErrorKind::kInsecureFile : ErrorKind::kFileAccess,
                  fmt::format("password file \"{}\" is not a regular file{}", path,
                              S_ISLNK((*st)->st_mode) ? " but a symbolic link" : ""),
                  "pgreplica does not read or write a password file through a link.",
                  "Remove it (pgreplica then writes a regular file), or choose another path with "
                  "--file.");
    }
    auto fd = dir->OpenFile(name, O_RDONLY);
    if (!fd) return std::unexpected(fd.error());
    struct stat fst {};
    if (fstat(fd->get(), &fst) != 0)
      return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", path)));
    if (fst.st_nlink != 1 || fst.st_uid != owner.uid) {
      return Fail(
          ErrorKind::kInsecureFile,
          fmt::format("password file \"{}\" is not the OS user's own file", path),
          fmt::format("It belongs to {} and has {} name(s); its lines are not carried over into "
                      "a file the OS user can read.",
                      UserLabel(fst.st_uid), fst.st_nlink),
          "Remove it (pgreplica then writes a new one), or choose another path with "
          "--file.");
    }
    auto text = ReadAll(fd->get(), path, 1 << 20);  // the file just checked, not the name again
    if (!text) return std::unexpected(text.error());
    existing = std::move(*text);
    st = std::optional<struct stat>{fst};
  }
  bool changed = false;
  std::string merged = MergePgpass(existing, entry, &changed);
  bool mode_ok = *st && ((*st)->st_mode & 07777) == 0600 && (*st)->st_uid == owner.uid &&
                 (*st)->st_gid == owner.gid;
  if (!changed && mode_ok) return false;
  if (dry_run) return true;
  if (auto ok = dir->WriteFileAtomic(name, merged, 0600, owner); !ok)
    return std::unexpected(ok.error());
  return true;
}

std::string PgpassPath(const Config& config, const std::string& os_user_home) {
  if (!config.local.pgpass_file.empty()) return config.local.pgpass_file;
  return os_user_home + "/.pgpass";
}

}  // namespace pgreplica::conf
