#include "doctor/doctor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/dirfd.h"
#include "common/fs.h"
#include "common/number.h"
#include "conf/pgpass.h"
#include "doctor/config_check.h"
#include "local/journal.h"
#include "local/leftover.h"
#include "local/location.h"
#include "local/service.h"
#include "local/state.h"
#include "pg/binaries.h"
#include "proc/user.h"

namespace pgreplica::replica {

namespace {

// A standby's data directory runs only with server programs of its own major version.
void CheckDataDirectoryVersion(const conf::Config& config, const std::string& bindir,
                               int server_major, CheckReport& r) {
  if (config.local.data_directory.empty()) return;
  auto text = ReadFileByTrustedPath(config.local.data_directory + "/PG_VERSION", 64);
  int data_major = 0;
  if (text) {
    std::string_view v(*text);
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    data_major = ParseInt(v).value_or(0);
  }
  if (data_major > 0 && data_major != server_major) {
    r.Add(CheckItem::Fail(
        "program_versions", fmt::format("{}/PG_VERSION", config.local.data_directory),
        fmt::format("the data directory is PostgreSQL {}, the server programs in {} are "
                    "PostgreSQL {}",
                    data_major, bindir, server_major),
        fmt::format("Set local.bindir to the programs of PostgreSQL {} (the primary's "
                    "major version; clone's preflight checks it against the primary).",
                    data_major)));
  }
}

void CheckPrograms(const conf::Config& config, CheckReport& r) {
  auto bindir = pg::ChooseBindir(config.local.bindir, std::nullopt);
  if (!bindir) {
    r.Add(CheckItem::Fail("bindir", "", bindir.error().message, bindir.error().hint));
    return;
  }
  r.Add(CheckItem::Ok("bindir", *bindir, "PostgreSQL programs are taken from this directory"));
  const std::string& client_bindir =
      config.local.client_bindir.empty() ? *bindir : config.local.client_bindir;
  if (client_bindir != *bindir) {
    r.Add(CheckItem::Ok("client_bindir", client_bindir,
                        "pg_basebackup and pg_verifybackup are taken from this directory"));
  }
  // The version rule of pg/binaries.h, without a primary: the server programs agree with each
  // other, and the client programs are not older than they are.
  std::set<int> server_majors;
  std::vector<pg::Program> clients;
  std::vector<std::string> names = pg::kRequiredPrograms;
  if (std::string v = pg::VerifierProgram(config.clone.verify);
      !v.empty() && std::find(names.begin(), names.end(), v) == names.end())
    names.push_back(v);
  for (const auto& name : names) {
    bool server = std::find(pg::kServerPrograms.begin(), pg::kServerPrograms.end(), name) !=
                  pg::kServerPrograms.end();
    const std::string& dir = server ? *bindir : client_bindir;
    pg::Program p = pg::InspectProgram(dir, name);
    if (p.path.empty()) {
      r.Add(CheckItem::Fail(
          name, "missing", fmt::format("{} is not in {}", name, dir),
          server ? "Install the PostgreSQL server package, or set local.bindir."
                 : "Install the PostgreSQL client programs, or set local.client_bindir."));
    } else if (p.major == 0) {
      r.Add(CheckItem::Fail(name, p.path, "it does not report a PostgreSQL version",
                            "Check that this is a PostgreSQL program."));
    } else {
      if (server)
        server_majors.insert(p.major);
      else
        clients.push_back(p);
      r.Add(CheckItem::Ok(name, p.version_text, fmt::format("found at {}", p.path)));
    }
  }
  if (server_majors.size() > 1) {
    r.Add(CheckItem::Fail("program_versions", "",
                          "the PostgreSQL server programs are of different major versions",
                          "Set local.bindir to one PostgreSQL installation."));
  } else if (server_majors.size() == 1) {
    const int server_major = *server_majors.begin();
    for (const auto& p : clients) {
      if (p.major < server_major) {
        // Doctor does not ask the primary: the rule is judged against the server programs.
        r.Add(CheckItem::Fail(
            "program_versions", p.version_text,
            fmt::format("local {} is PostgreSQL {}, older than the server programs' "
                        "PostgreSQL {} in {}",
                        p.name, p.major, server_major, *bindir),
            fmt::format("Install the client programs of PostgreSQL {} or newer and set "
                        "local.client_bindir to their directory.",
                        server_major)));
        break;
      }
    }
    CheckDataDirectoryVersion(config, *bindir, server_major, r);
  }
}

void CheckMode(CheckReport& r, const std::string& name, const std::string& path, uid_t owner,
               const std::string& owner_name, mode_t want, bool required) {
  auto st = StatPath(path);
  if (!st || !*st) {
    r.Add(CheckItem::Of(
        required ? CheckStatus::kFail : CheckStatus::kWarning, name, path, "does not exist",
        name == "pgpass_file" ? "Write it with \"pgreplica pgpass\"." : "Create it."));
    return;
  }
  const struct stat& s = **st;
  mode_t mode = s.st_mode & 07777;
  if (S_ISLNK(s.st_mode)) {
    r.Add(CheckItem::Fail(
        name, path, "is a symbolic link; pgreplica neither reads nor writes through it",
        name == "pgpass_file"
            ? fmt::format("rm {} && pgreplica pgpass (it writes a regular file)", path)
            : fmt::format("Replace {} with the file it points to.", path)));
  } else if (s.st_uid != owner) {
    r.Add(CheckItem::Fail(
        name, path, fmt::format("is owned by {}, not by \"{}\"", UserLabel(s.st_uid), owner_name),
        fmt::format("chown {} {}", owner_name, path)));
  } else if ((mode & ~want) != 0) {
    r.Add(CheckItem::Fail(name, path,
                          fmt::format("has mode {:04o}; at most {:04o} is allowed", mode, want),
                          fmt::format("chmod {:o} {}", want, path)));
  } else {
    r.Add(CheckItem::Ok(name, path, fmt::format("owned by \"{}\", mode {:04o}", owner_name, mode)));
  }
}

// The data directory as the clone sees it: a link is judged by its target (a chown or chmod of
// the link's own path would follow it, and the fix would never clear the check), a mount
// point cannot be swapped, an untrusted link is not followed.
void CheckDataDirectory(const conf::Config& config, const proc::OsUser& user, CheckReport& r) {
  auto loc =
      ResolveLocation(config.local.data_directory, {.configured = true, .os_user = user.uid});
  if (!loc) {
    r.Add(CheckItem::Fail("data_directory", config.local.data_directory, loc.error().message,
                          loc.error().hint));
    return;
  }
  if (auto file = JournalFile::Open(config.state_directory, loc->real, /*create=*/false)) {
    if (auto journal = file->Read(); journal && *journal) {
      r.Add(CheckItem::Fail(
          "interrupted_swap", file->path(),
          fmt::format("a swap of this data directory was interrupted ({}); the old standby may "
                      "be in \"{}{}{}\"",
                      (*journal)->stamp, loc->real, kOldInfix, (*journal)->stamp),
          "Run \"pgreplica clone\" (or \"pgreplica decommission --stop\"): either puts the old "
          "standby back first."));
    }
  }
  if (auto st = loc->parent.Stat(loc->Sibling(kStagingSuffix)); st && *st) {
    r.Add(CheckItem::Warn("leftover_staging", loc->SiblingPath(kStagingSuffix),
                          "a staging directory left by an interrupted clone",
                          "The next clone (or decommission --stop) removes it."));
  }
  if (auto pids = FindLeftoverCopies(loc->SiblingPath(kStagingSuffix), user.uid); !pids.empty()) {
    r.Add(CheckItem::Warn(
        "leftover_copy", std::to_string(pids.front()),
        "a pg_basebackup left by an interrupted clone still copies into staging and holds a "
        "slot on the primary",
        "The next clone (or decommission --stop) ends it."));
  }
  if (loc->mount_point) {
    r.Add(CheckItem::Fail(
        "data_directory", loc->real,
        "is the root of a mounted filesystem, which a clone cannot swap",
        fmt::format("Use a subdirectory of the mounted filesystem (for example {}/data). See "
                    "\"Layouts\" in docs/clone.md.",
                    loc->real)));
    return;
  }
  if (!loc->exists()) {
    r.Add(CheckItem::Warn(
        "data_directory", loc->real,
        fmt::format("does not exist yet; a clone creates it in {}", loc->parent.path())));
    return;
  }
  if (loc->is_link()) {
    r.Add(CheckItem::Ok(
        "data_directory_link", loc->configured,
        fmt::format("is a symbolic link to {}; clones replace the target and keep the link",
                    loc->real)));
  }
  CheckMode(r, "data_directory", loc->real, user.uid, user.name, 0750, false);
}

void CheckPgpassEntry(const conf::Config& config, const std::string& path, CheckReport& r) {
  if (config.primary.host.empty()) return;
  auto text = ReadFile(path, 1 << 20, /*no_follow=*/true);
  if (!text) return;  // reported by CheckMode
  bool found = false;
  size_t start = 0;
  while (start <= text->size() && !found) {
    size_t end = text->find('\n', start);
    auto e = conf::ParsePgpassLine(std::string_view(*text).substr(start, end - start));
    auto match = [](const std::string& field, const std::string& want) {
      return field == "*" || field == want;
    };
    found = e && match(e->host, config.primary.host) &&
            match(e->port, std::to_string(config.primary.port)) &&
            match(e->database, "replication") && match(e->user, config.replication.user);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  r.Add(CheckItem::OkOrFail(found, "pgpass_entry",
                            fmt::format("{}:{}:replication:{}", config.primary.host,
                                        config.primary.port, config.replication.user),
                            found ? "the password file has an entry for the primary"
                                  : "the password file has no entry for the primary",
                            "Run \"pgreplica pgpass\"."));
}

// The service as clone's preflight judges it: the same trust check of custom commands
// (MakeService refuses them as root), then whether it can start this data directory.
void CheckService(const conf::Config& config, CheckReport& r) {
  const conf::ServiceConfig& s = config.local.service;
  if (auto trusted = CheckCommandsTrusted(s); !trusted) {
    r.Add(CheckItem::Fail("service", s.type,
                          trusted.error().message + ". " + trusted.error().detail,
                          trusted.error().hint));
    return;
  }
  if (s.type == "custom" && !s.commands_writable_by.empty()) {
    // Not root now; clone and decommission run as root would refuse them.
    r.Add(CheckItem::Warn(
        "service", s.type,
        fmt::format("root would refuse to run the custom service commands of \"{}\": {}",
                    s.commands_source, s.commands_writable_by),
        s.commands_fix));
    return;
  }
  if (config.local.data_directory.empty()) return;
  auto fits = CheckServiceFits(s, config.local.data_directory);
  r.Add(CheckItem::OkOrFail(
      fits.has_value(), "service", s.type,
      !fits ? fits.error().message + ". " + fits.error().detail
      : s.type == "pg_ctl"
          ? std::string("not a Debian cluster's data directory, so pg_ctl can start it")
          : "started and stopped through " + (s.unit.empty() ? "the configured commands" : s.unit) +
                " (doctor does not try them)",
      fits ? "" : fits.error().hint));
}

}  // namespace

CheckReport RunDoctor(const conf::Config& config, const std::optional<Error>& config_error) {
  CheckReport r;
  if (config_error) {
    r.Add(CheckItem::Fail("config", "", config_error->message, config_error->hint));
  } else {
    r.Add(CheckItem::Ok("config", config.source, "the configuration is valid"));
    // The judgement status and check make: a standby's configuration names its primary.
    if (auto primary = RequirePrimary(config); !primary) {
      r.Add(CheckItem::Fail("primary", "", primary.error().message + ". " + primary.error().detail,
                            primary.error().hint));
    } else {
      r.Add(CheckItem::Ok("primary", config.primary.host,
                          fmt::format("the standby's primary is \"{}\" port {}",
                                      config.primary.host, config.primary.port)));
    }
  }
  CheckPrograms(config, r);
  auto user = proc::LookupUser(config.local.os_user);
  if (!user) {
    r.Add(
        CheckItem::Fail("os_user", config.local.os_user, user.error().message, user.error().hint));
    return r;
  }
  r.Add(CheckItem::Ok("os_user", config.local.os_user,
                      fmt::format("uid {}, home {}", user->uid, user->home)));
  auto can = proc::CanActAs(*user);
  r.Add(CheckItem::OkOrFail(
      can.has_value(), "privileges", proc::RunningAsRoot() ? "root" : "",
      can ? fmt::format("pgreplica can act as \"{}\"", user->name) : can.error().message,
      can ? "" : can.error().hint));
  if (config.local.data_directory.empty()) {
    r.Add(CheckItem::Warn("data_directory", "", "local.data_directory is not set",
                          "Set it to the standby's data directory; clone needs it."));
  } else {
    CheckDataDirectory(config, *user, r);
  }
  CheckService(config, r);
  std::string pgpass = conf::PgpassPath(config, user->home);
  CheckMode(r, "pgpass_file", pgpass, user->uid, user->name, 0600, !config.primary.host.empty());
  CheckPgpassEntry(config, pgpass, r);
  if (!config.replication.password_file.empty()) {
    auto st = StatPath(config.replication.password_file);
    uid_t owner = st && *st && (*st)->st_uid == 0 ? 0 : user->uid;
    CheckMode(r, "password_file", config.replication.password_file, owner,
              owner == 0 ? "root" : user->name, 0600, true);
  }
  auto st = StatPath(config.state_directory);
  bool exists = st && *st;
  bool writable = exists && access(config.state_directory.c_str(), W_OK) == 0;
  if (exists) {
    // The same privacy rule clone and decommission apply (local/state.h).
    auto priv = OpenStateDir(config.state_directory, "locks", /*create=*/false);
    if (!priv && priv.error().kind != ErrorKind::kNotFound) {
      r.Add(CheckItem::Fail("state_directory", config.state_directory,
                            priv.error().message + ". " + priv.error().detail, priv.error().hint));
      return r;
    }
  }
  r.Add(CheckItem::Of(
      writable ? CheckStatus::kOk : CheckStatus::kWarning, "state_directory",
      config.state_directory,
      writable ? "job records are written here"
      : exists ? "is not writable by this user"
               : "does not exist yet",
      "It is created by the first clone run as root; or create it and make it writable."));
  return r;
}

}  // namespace pgreplica::replica
