#include "primary/primary.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/dirfd.h"
#include "common/fs.h"
#include "common/number.h"
#include "common/text.h"
#include "pg/connection.h"
#include "pg/version.h"
#include "primary/hba.h"

namespace pgreplica::replica {

namespace {

struct Facts {
  int version = 0;
  std::string wal_level;
  int max_wal_senders = 0;
  int walsenders = 0;
  int max_replication_slots = 0;
  int slots = 0;
  std::string hot_standby;
  std::string max_slot_wal_keep_size;
  bool role_exists = false;
  bool role_login = false;
  bool role_replication = false;
  std::string hba_file;
  bool superuser = false;
  bool role_superuser = false;
};

constexpr const char* kFactsSql = R"SQL(
SELECT current_setting('server_version_num')::int,
       current_setting('wal_level'),
       current_setting('max_wal_senders')::int,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int,
       current_setting('max_replication_slots')::int,
       (SELECT count(*) FROM pg_replication_slots)::int,
       current_setting('hot_standby'),
       current_setting('max_slot_wal_keep_size'),
       r.rolname IS NOT NULL, coalesce(r.rolcanlogin, false), coalesce(r.rolreplication, false),
       current_setting('hba_file'),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       coalesce(r.rolsuper, false)
FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = $1
)SQL";

Result<Facts> GatherFacts(pg::Connection& conn, const std::string& role) {
  auto res = conn.Exec(kFactsSql, {role});
  if (!res) return std::unexpected(res.error());
  Facts f;
  for (auto [col, field] : {std::pair{0, &f.version},
                            {2, &f.max_wal_senders},
                            {3, &f.walsenders},
                            {4, &f.max_replication_slots},
                            {5, &f.slots}}) {
    auto n = res->GetInt(0, col);
    if (!n) return std::unexpected(n.error());
    *field = *n;
  }
  f.wal_level = res->Get(0, 1);
  f.hot_standby = res->Get(0, 6);
  f.max_slot_wal_keep_size = res->Get(0, 7);
  f.role_exists = res->Get(0, 8) == "t";
  f.role_login = res->Get(0, 9) == "t";
  f.role_replication = res->Get(0, 10) == "t";
  f.hba_file = res->Get(0, 11);
  f.superuser = res->Get(0, 12) == "t";
  f.role_superuser = res->Get(0, 13) == "t";
  return f;
}

// Tries a replication connection and IDENTIFY_SYSTEM; returns the system identifier.
Result<std::string> TryReplication(const pg::ConnParams& params) {
  auto conn = pg::Connection::Open(params, "primary");
  if (!conn) return std::unexpected(conn.error());
  auto res = conn->ExecSimple("IDENTIFY_SYSTEM");
  if (!res) return std::unexpected(res.error());
  return res->Get(0, 0);
}

}  // namespace

Result<CheckReport> CheckPrimary(const PrimaryTarget& t) {
  auto conn = pg::Connection::Open(t.admin, "primary");
  if (!conn) return std::unexpected(conn.error());
  const std::string& user = t.replication.user;
  auto facts = GatherFacts(*conn, user);
  if (!facts) return std::unexpected(facts.error());
  const Facts& f = *facts;
  CheckReport r;
  r.Add(CheckItem::OkOrFail(
      f.version >= pg::kMinServerVersion, "server_version", std::to_string(f.version),
      fmt::format("PostgreSQL {} (pgreplica needs {} or newer)", pg::MajorVersion(f.version),
                  pg::MajorVersion(pg::kMinServerVersion)),
      "Upgrade the primary."));
  r.Add(CheckItem::OkOrFail(f.wal_level == "replica" || f.wal_level == "logical", "wal_level",
                            f.wal_level,
                            "wal_level must be replica or logical for streaming replication",
                            "ALTER SYSTEM SET wal_level = 'replica', then restart the primary "
                            "(or run \"pgreplica primary setup\")."));
  int free_senders = f.max_wal_senders - f.walsenders;
  r.Add(CheckItem::OkOrFail(
      free_senders >= kSendersPerClone, "max_wal_senders",
      fmt::format("{} ({} in use)", f.max_wal_senders, f.walsenders),
      fmt::format("a clone needs {} free WAL senders; {} are free", kSendersPerClone,
                  std::max(free_senders, 0)),
      fmt::format("ALTER SYSTEM SET max_wal_senders = {}, then restart the primary.",
                  std::max(kDefaultMaxWalSenders, f.walsenders + kSendersPerClone))));
  int free_slots = f.max_replication_slots - f.slots;
  r.Add(CheckItem::OkOrFail(
      free_slots >= 1, "max_replication_slots",
      fmt::format("{} ({} in use)", f.max_replication_slots, f.slots),
      fmt::format("a standby needs a free replication slot; {} are free", std::max(free_slots, 0)),
      fmt::format("ALTER SYSTEM SET max_replication_slots = {}, then restart the primary, "
                  "or drop unused slots.",
                  std::max(kDefaultMaxReplicationSlots, f.slots + 1))));
  r.Add(CheckItem::OkOrFail(
      f.role_exists && f.role_login && f.role_replication, "replication_role",
      f.role_exists ? fmt::format("login={} replication={}", f.role_login, f.role_replication)
                    : "missing",
      fmt::format("role \"{}\" must exist with LOGIN and REPLICATION", user),
      "Run \"pgreplica primary setup\", or CREATE ROLE ... WITH LOGIN REPLICATION PASSWORD ..."));
  auto rep = TryReplication(t.replication);
  if (rep) {
    r.Add(CheckItem::Ok("replication_connection", "system identifier " + *rep,
                        fmt::format("a replication connection as \"{}\" succeeds", user)));
  } else {
    r.Add(CheckItem::Fail(
        "replication_connection", std::string(KindName(rep.error().kind)),
        rep.error().message + (rep.error().detail.empty() ? "" : ": " + rep.error().detail),
        fmt::format("Check the password, and that pg_hba.conf has \"host replication {} <this "
                    "host's address> scram-sha-256\" (\"pgreplica primary setup "
                    "--allowed-address ...\" adds it).",
                    user)));
  }
  bool hot = f.hot_standby == "on";
  r.Add(CheckItem::Of(hot ? CheckStatus::kOk : CheckStatus::kWarning, "hot_standby", f.hot_standby,
                      "hot_standby is copied to standbys; off means they refuse read queries",
                      "ALTER SYSTEM SET hot_standby = on."));
  bool bounded = f.max_slot_wal_keep_size != "-1";
  r.Add(CheckItem::Of(
      bounded ? CheckStatus::kOk : CheckStatus::kWarning, "max_slot_wal_keep_size",
      f.max_slot_wal_keep_size,
      bounded ? "WAL kept for slots is bounded"
              : "WAL kept for slots is unbounded: an abandoned slot can fill the primary's disk",
      "ALTER SYSTEM SET max_slot_wal_keep_size = '<size>' and reload, and "
      "decommission replicas you retire."));
  return r;
}

bool SetupResult::changed() const {
  for (const auto& a : actions)
    if (a.changed) return true;
  return false;
}

bool SetupResult::restart_required() const {
  for (const auto& a : actions)
    if (a.restart_required) return true;
  return false;
}

bool SetupResult::failed() const {
  for (const auto& a : actions)
    if (a.failed) return true;
  return false;
}

nlohmann::json ToJson(const SetupResult& r) {
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& a : r.actions)
    actions.push_back({{"name", a.name},
                       {"status", a.failed    ? "failed"
                                  : a.pending ? "pending"
                                  : a.changed ? "changed"
                                              : "ok"},
                       {"changed", a.changed},
                       {"restart_required", a.restart_required},
                       {"message", a.message}});
  return {{"ok", !r.error && !r.failed()},
          {"changed", r.changed()},
          {"restart_required", r.restart_required()},
          {"replication_works", r.replication_works},
          {"replication_refused_here", r.replication_refused_here},
          {"password_mismatch", r.password_mismatch},
          {"actions", actions}};
}

namespace {

// The value a setting will have after the next restart/reload: the last valid
// entry of the configuration files (ALTER SYSTEM writes postgresql.auto.conf).
Result<std::string> FileValue(pg::Connection& conn, const std::string& name) {
  auto res = conn.Exec(
      "SELECT coalesce((SELECT setting FROM pg_file_settings WHERE name = $1 AND error IS NULL "
      "ORDER BY seqno DESC LIMIT 1), (SELECT boot_val FROM pg_settings WHERE name = $1))",
      {name});
  if (!res) return std::unexpected(res.error());
  return res->Get(0, 0);
}

// Sets `name` with ALTER SYSTEM when `adequate(file value)` is false.
Result<SetupAction> EnsureSetting(pg::Connection& conn, const std::string& name,
                                  const std::function<bool(const std::string&)>& adequate,
                                  const std::string& wanted, const std::string& live) {
  auto current = FileValue(conn, name);
  if (!current) return std::unexpected(current.error());
  SetupAction a{name, false, false, ""};
  if (adequate(*current)) {
    a.restart_required = !adequate(live);
    a.message = a.restart_required
                    ? fmt::format("{} is set to {}; a restart is pending", name, *current)
                    : fmt::format("{} = {} already", name, live);
    return a;
  }
  auto literal = conn.QuoteLiteral(wanted);
  if (!literal) return std::unexpected(literal.error());
  auto res = conn.Exec(fmt::format("ALTER SYSTEM SET {} = {}", name, *literal));
  if (!res) return std::unexpected(res.error());
  a.changed = true;
  a.restart_required = true;
  a.message =
      fmt::format("set {} = {} (was {}); restart the primary to apply it", name, wanted, *current);
  return a;
}

Result<SetupAction> EnsureRole(pg::Connection& conn, const Facts& f, const std::string& user,
                               const std::string& password) {
  SetupAction a{"replication_role", false, false, ""};
  auto ident = conn.QuoteIdent(user);
  if (!ident) return std::unexpected(ident.error());
  if (!f.role_exists) {
    auto verifier = conn.ScramVerifier(password, user);
    if (!verifier) return std::unexpected(verifier.error());
    auto lit = conn.QuoteLiteral(*verifier);
    if (!lit) return std::unexpected(lit.error());
    auto res =
        conn.Exec(fmt::format("CREATE ROLE {} WITH LOGIN REPLICATION PASSWORD {}", *ident, *lit));
    if (!res) return std::unexpected(res.error());
    a.changed = true;
    a.message =
        fmt::format("created role \"{}\" with LOGIN REPLICATION and a SCRAM password", user);
    return a;
  }
  if (!f.role_login || !f.role_replication) {
    auto res = conn.Exec(fmt::format("ALTER ROLE {} WITH LOGIN REPLICATION", *ident));
    if (!res) return std::unexpected(res.error());
    a.changed = true;
    a.message = fmt::format("granted LOGIN REPLICATION to role \"{}\"", user);
    return a;
  }
  a.message = fmt::format("role \"{}\" exists with LOGIN REPLICATION", user);
  return a;
}

// The role setup would give the replication password and the REPLICATION attribute: never
// the admin user (its password would become the replication password) nor a superuser
// (standbys would log in with superuser rights, and --reset-password would lock it out).
Status CheckReplicationRole(const PrimaryTarget& t, const Facts* f) {
  const std::string& user = t.replication.user;
  bool admin = user == t.admin.user;
  if (!admin && (f == nullptr || !f->role_superuser)) return {};
  return Fail(ErrorKind::kConfigInvalid,
              admin ? fmt::format("the replication role \"{}\" is the admin user", user)
                    : fmt::format("the replication role \"{}\" is a superuser", user),
              "primary setup would set its password to the replication password and give it to "
              "every standby, which would then log in with superuser rights; nothing was "
              "changed.",
              "Set replication.user (--user) to a role of its own without SUPERUSER, such as "
              "replicator; primary setup creates it.");
}

// What setup will do with pg_hba.conf, decided before anything is changed.
struct HbaPlan {
  SetupAction done;        // the action when nothing needs writing
  bool insert = false;     // the line is to be added
  std::string contents;    // the file as the server reads it
  std::optional<Dir> dir;  // the file's directory, opened without following links
  std::string name;        // the file's name in it
  struct stat st {};       // the file, as opened
};

// The local pg_hba.conf that root may edit: a regular file reached without following an
// untrusted link, opened without following a link, with one name, belonging to the
// PostgreSQL OS user, holding what the server reads. Otherwise an error with the line to add.
Status OpenHbaForEdit(const PrimaryTarget& t, const std::string& hba_file, const HbaRule& rule,
                      HbaPlan& plan) {
  std::string line = FormatHbaLine(rule);
  auto refuse = [&](ErrorKind kind, const std::string& why) {
    return Fail(kind, fmt::format("cannot edit pg_hba.conf \"{}\" from here", hba_file),
                why + " Nothing was changed.",
                fmt::format("Add this line at the top of pg_hba.conf on the primary (before the "
                            "first rule) and reload (SELECT pg_reload_conf()), then run primary "
                            "setup again: {}",
                            line));
  };
  if (!t.os_uid) {
    return refuse(ErrorKind::kEnvironment,
                  fmt::format("The PostgreSQL OS user \"{}\" (local.os_user) does not exist on "
                              "this host, so the file is not on this host or its owner is unknown.",
                              t.os_user));
  }
  if (hba_file.empty() || hba_file.front() != '/')
    return refuse(ErrorKind::kEnvironment, "The server names no absolute path for hba_file.");
  auto dir = Dir::Open(DirName(hba_file));
  if (!dir) {
    return refuse(
        ErrorKind::kEnvironment,
        fmt::format("Its directory cannot be opened on this host: {}.", dir.error().message));
  }
  std::string name = BaseName(hba_file);
  auto fd = dir->OpenFile(name, O_RDONLY);
  if (!fd) {
    return refuse(fd.error().kind == ErrorKind::kInsecureFile ? ErrorKind::kInsecureFile
                                                              : ErrorKind::kEnvironment,
                  fmt::format("It cannot be opened on this host without following a link: {}.",
                              fd.error().message));
  }
  struct stat st {};
  if (fstat(fd->get(), &st) != 0)
    return std::unexpected(ErrnoError(errno, fmt::format("could not stat \"{}\"", hba_file)));
  if (st.st_uid != *t.os_uid) {
    // hba_file is a setting of the server: whoever can set it must not make root write
    // another user's file.
    return refuse(ErrorKind::kInsecureFile,
                  fmt::format("It belongs to {}, not to the PostgreSQL OS user \"{}\"; pgreplica "
                              "edits only a pg_hba.conf of the server's own user.",
                              UserLabel(st.st_uid), t.os_user));
  }
  if (st.st_nlink != 1) {
    return refuse(ErrorKind::kInsecureFile,
                  fmt::format("It has {} names (hard links); pgreplica edits only a file with "
                              "one name.",
                              st.st_nlink));
  }
  auto local = ReadAll(fd->get(), hba_file);
  if (!local) return std::unexpected(local.error());
  if (*local != plan.contents) {
    return refuse(ErrorKind::kEnvironment,
                  "The file on this host differs from what the server reads: the primary is "
                  "another host.");
  }
  plan.dir.emplace(std::move(*dir));
  plan.name = name;
  plan.st = st;
  return {};
}

Result<HbaPlan> PlanHba(pg::Connection& conn, const PrimaryTarget& t, const Facts& f) {
  HbaPlan plan;
  plan.done = {"pg_hba", false, false, ""};
  const std::string& user = t.replication.user;
  const std::string& address = t.allowed_address;
  if (address.empty()) {
    plan.done.message =
        "pg_hba.conf left alone: no replication.allowed_address (--allowed-address) given";
    return plan;
  }
  HbaRule rule{user, address};
  auto remote = conn.Exec("SELECT pg_read_file($1)", {f.hba_file});
  if (!remote) return std::unexpected(remote.error());
  plan.contents = remote->Get(0, 0);
  if (auto match = FindHbaRule(plan.contents, rule)) {
    if (match->rejects()) {
      // The administrator's explicit "reject" is not overridden behind their back.
      return Fail(ErrorKind::kCheckFailed,
                  fmt::format("pg_hba.conf rejects replication connections of \"{}\" from {}", user,
                              address),
                  fmt::format("Line {} of \"{}\" decides first: {}. Nothing was changed.",
                              match->line_number, f.hba_file, OneLine(match->line)),
                  "Remove or change that line if replication from this address is wanted, then "
                  "run primary setup again.");
    }
    plan.done.message =
        fmt::format("pg_hba.conf already allows replication for \"{}\" from {} (line {})", user,
                    address, match->line_number);
    return plan;
  }
  // The new line goes first: it would also win over every later reject that shares an
  // address with it.
  if (auto reject = FindOverlappingReject(plan.contents, rule)) {
    return Fail(
        ErrorKind::kCheckFailed,
        fmt::format("pg_hba.conf rejects replication connections of \"{}\" from addresses within "
                    "or around {}",
                    user, address),
        fmt::format("Line {} of \"{}\" is a reject line whose addresses overlap {}: {}. The line "
                    "primary setup would add goes before it and would let those addresses in. "
                    "Nothing was changed.",
                    reject->line_number, f.hba_file, address, OneLine(reject->line)),
        "Choose an --allowed-address that the reject line does not cover (such as this "
        "standby's own address with /32), or change that line, then run primary setup again.");
  }
  auto errors = conn.Exec("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL");
  if (!errors) return std::unexpected(errors.error());
  if (errors->Get(0, 0) != "0") {
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("pg_hba.conf \"{}\" has errors already", f.hba_file),
                "The server would not load it with the new line either; nothing was changed.",
                "Fix the lines that SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL "
                "names, then run primary setup again.");
  }
  if (auto ok = OpenHbaForEdit(t, f.hba_file, rule, plan); !ok) return std::unexpected(ok.error());
  plan.insert = true;
  return plan;
}

Result<SetupAction> ApplyHba(pg::Connection& conn, const PrimaryTarget& t, const Facts& f,
                             HbaPlan& plan) {
  if (!plan.insert) return plan.done;
  HbaRule rule{t.replication.user, t.allowed_address};
  std::string updated = InsertHbaRule(plan.contents, rule);
  Owner owner{plan.st.st_uid, plan.st.st_gid};
  mode_t mode = plan.st.st_mode & 07777;
  if (auto ok = plan.dir->WriteFileAtomic(plan.name, updated, mode, owner); !ok)
    return std::unexpected(ok.error());
  // Reload only a file the server accepts; otherwise put the old one back.
  auto errors = conn.Exec("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL");
  if (!errors || errors->Get(0, 0) != "0") {
    (void)plan.dir->WriteFileAtomic(plan.name, plan.contents, mode, owner);
    return Fail(
        ErrorKind::kEnvironment, "pg_hba.conf would not be valid with the new line",
        "The previous file was restored.",
        "Check the file for errors: SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL");
  }
  return SetupAction{"pg_hba", true, false,
                     fmt::format("added to \"{}\": {}", f.hba_file, FormatHbaLine(rule))};
}

// Proves the password with a replication connection; replaces it only when asked.
Status ProvePassword(pg::Connection& conn, const PrimaryTarget& t, const Facts& f,
                     const std::string& password, const SetupOptions& options,
                     SetupResult& result) {
  const std::string& user = t.replication.user;
  // A role that existed with another password is left alone unless asked: other standbys may
  // use it, and replacing it would break every one of them.
  pg::ConnParams rep = t.replication;
  rep.password = password;
  rep.passfile = "/dev/null";
  auto tried = TryReplication(rep);
  bool mismatch = !tried && tried.error().kind == ErrorKind::kAuth && f.role_exists;
  if (mismatch && options.reset_password) {
    auto ident = conn.QuoteIdent(user);
    auto verifier = conn.ScramVerifier(password, user);
    if (!ident || !verifier) return std::unexpected(!ident ? ident.error() : verifier.error());
    auto lit = conn.QuoteLiteral(*verifier);
    if (!lit) return std::unexpected(lit.error());
    auto res = conn.Exec(fmt::format("ALTER ROLE {} WITH PASSWORD {}", *ident, *lit));
    if (!res) return std::unexpected(res.error());
    result.actions.push_back(
        {"password", true, false,
         fmt::format("set a new SCRAM password for \"{}\" (--reset-password); every other "
                     "standby that uses this role needs the new password",
                     user)});
    tried = TryReplication(rep);
  } else if (mismatch) {
    SetupAction a{"password", false, false,
                  fmt::format("the password does not match the one of role \"{}\": left "
                              "unchanged; pass --reset-password to replace it (every standby "
                              "that uses the role then needs the new one)",
                              user)};
    a.failed = true;
    result.actions.push_back(a);
    result.password_mismatch = true;
  } else if (tried) {
    result.actions.push_back({"password", false, false, "the replication password works"});
  }
  result.replication_works = tried.has_value();
  const bool hba_refused =
      !tried && !t.allowed_address.empty() &&
      (tried.error().message + tried.error().detail).find("no pg_hba.conf entry") !=
          std::string::npos;
  if (hba_refused) {
    // The line for allowed_address is in place, but this host is not at that address: a
    // replication connection from here proves nothing about the replica's.
    result.replication_refused_here = true;
    result.actions.push_back(
        {"replication_connection", false, false,
         fmt::format("a replication connection from this host is refused by pg_hba.conf, which "
                     "allows {} for replication: the login is proven from there (pgpass --verify "
                     "or clone on that host)",
                     t.allowed_address)});
  } else if (!tried) {
    SetupAction a{
        "replication_connection", false, false,
        "a replication connection still fails: " + OneLine(tried.error().message) +
            (tried.error().detail.empty() ? "" : " (" + OneLine(tried.error().detail) + ")")};
    // Before a restart that applies wal_level or max_wal_senders it cannot work yet.
    a.pending = result.restart_required() && !mismatch;
    a.failed = !a.pending;
    if (a.pending) a.message += "; it should work after the restart";
    result.actions.push_back(a);
  }
  return {};
}

}  // namespace

SetupResult SetupPrimary(const PrimaryTarget& t, const std::string& password,
                         const SetupOptions& options) {
  SetupResult result;
  auto stop = [&](const Error& e) {
    result.error = e;
    return result;
  };
  if (auto ok = CheckReplicationRole(t, nullptr); !ok) return stop(ok.error());
  auto conn = pg::Connection::Open(t.admin, "primary");
  if (!conn) return stop(conn.error());
  const std::string& user = t.replication.user;
  auto facts = GatherFacts(*conn, user);
  if (!facts) return stop(facts.error());
  if (!facts->superuser) {
    return stop({ErrorKind::kAuth, fmt::format("user \"{}\" is not a superuser", t.admin.user),
                 "primary setup changes settings, roles and pg_hba.conf.",
                 "Set primary.admin_user to a superuser (such as postgres)."});
  }
  const Facts& f = *facts;
  if (auto ok = CheckReplicationRole(t, &f); !ok) return stop(ok.error());
  // Everything that could refuse is decided before the first change.
  auto hba = PlanHba(*conn, t, f);
  if (!hba) return stop(hba.error());

  auto add = [&](Result<SetupAction> a) -> Status {
    if (!a) return std::unexpected(a.error());
    result.actions.push_back(std::move(*a));
    return {};
  };
  auto at_least = [](int n) {
    return [n](const std::string& v) { return ParseInt(v).value_or(0) >= n; };
  };
  Status ok = add(EnsureSetting(
      *conn, "wal_level", [](const std::string& v) { return v == "replica" || v == "logical"; },
      "replica", f.wal_level));
  if (ok)
    ok = add(EnsureSetting(*conn, "max_wal_senders", at_least(kSendersPerClone + 1),
                           std::to_string(kDefaultMaxWalSenders),
                           std::to_string(f.max_wal_senders)));
  if (ok)
    ok = add(EnsureSetting(*conn, "max_replication_slots", at_least(1),
                           std::to_string(kDefaultMaxReplicationSlots),
                           std::to_string(f.max_replication_slots)));
  if (ok)
    ok = add(EnsureSetting(
        *conn, "hot_standby", [](const std::string& v) { return v == "on"; }, "on", f.hot_standby));
  if (ok) ok = add(EnsureRole(*conn, f, user, password));
  if (ok) ok = add(ApplyHba(*conn, t, f, *hba));
  if (ok && result.changed()) {
    auto res = conn->Exec("SELECT pg_reload_conf()");
    if (res)
      result.actions.push_back({"reload", true, false, "reloaded the configuration"});
    else
      ok = std::unexpected(res.error());
  }
  if (ok) ok = ProvePassword(*conn, t, f, password, options, result);
  if (!ok) return stop(ok.error());
  return result;
}

}  // namespace pgreplica::replica
