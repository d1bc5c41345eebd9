#include "clone/preflight.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "clone/basebackup.h"
#include "clone/clone.h"
#include "clone/compression.h"
#include "clone/tablespaces.h"
#include "common/format.h"
#include "common/fs.h"
#include "common/number.h"
#include "conf/pgpass.h"
#include "jobs/jobs.h"
#include "local/service.h"
#include "pg/binaries.h"
#include "pg/version.h"
#include "primary/primary.h"
#include "primary/target.h"

namespace pgreplica::replica {

namespace {

struct Context {
  PreflightInputs& in;
  PreflightResult& out;
  std::optional<pg::Connection> replication;
  std::optional<pg::Connection> catalog;
  std::optional<std::vector<PrimaryTablespace>> primary_tablespaces;  // when the catalog answered
  std::string primary_data_directory;  // the primary's, as it reports it (when it answered)
};

// The OS user's password file, as pg_basebackup and the standby will read it. pgreplica's own
// connections take the password from it in memory: libpq, running as root, must not open a
// file by a path that the OS user controls.
void CheckPasswordFile(Context& c) {
  const auto& cfg = c.in.config;
  const std::string& path = c.out.plan.pgpass_file;
  auto st = StatPath(path);
  if (!st || !*st) {
    c.out.report.Add(CheckItem::Fail(
        "pgpass_file", path, "the OS user's password file does not exist",
        "Run \"pgreplica pgpass\" first: the standby reads its password from there."));
    return;
  }
  auto password = conf::ReadPgpassPassword(path, c.in.os_user.uid, cfg.primary.host,
                                           std::to_string(cfg.primary.port), "replication",
                                           cfg.replication.user);
  if (!password) {
    c.out.report.Add(
        CheckItem::Fail("pgpass_file", path, password.error().message,
                        password.error().hint.empty()
                            ? fmt::format("chown {0} {1} && chmod 600 {1}", c.in.os_user.name, path)
                            : password.error().hint));
    return;
  }
  if (password->empty()) {
    c.out.report.Add(
        CheckItem::Fail("pgpass_file", path,
                        fmt::format("the password file has no entry for {}:{}:replication:{}",
                                    cfg.primary.host, cfg.primary.port, cfg.replication.user),
                        "Run \"pgreplica pgpass\"."));
    return;
  }
  c.out.replication_password = std::move(*password);
  c.out.report.Add(
      CheckItem::Ok("pgpass_file", path,
                    "the standby's password file is private to the OS user and has an entry "
                    "for the primary"));
}

void CheckPrimaryOverReplication(Context& c) {
  const auto& cfg = c.in.config;
  if (c.out.replication_password.empty()) {
    c.out.report.Add(CheckItem::Skip("replication_connection", "",
                                     "not tried: there is no usable password file entry"));
    return;
  }
  auto params = PrimaryReplicationParams(cfg, c.out.replication_password, "");
  params.application_name = "pgreplica";
  auto conn = pg::Connection::Open(params, "primary");
  if (!conn) {
    const Error& e = conn.error();
    c.out.report.Add(CheckItem::Fail("replication_connection", std::string(KindName(e.kind)),
                                     e.message + (e.detail.empty() ? "" : ": " + e.detail),
                                     e.hint));
    return;
  }
  auto id = conn->ExecSimple("IDENTIFY_SYSTEM");
  if (!id) {
    c.out.report.Add(CheckItem::Fail("replication_connection", "", id.error().message));
    return;
  }
  c.out.facts.system_identifier = id->Get(0, 0);
  c.out.report.Add(
      CheckItem::Ok("replication_connection", "system identifier " + c.out.facts.system_identifier,
                    fmt::format("replication connection as \"{}\" works", cfg.replication.user)));
  auto show = [&](const char* name) -> std::string {
    auto r = conn->ExecSimple(fmt::format("SHOW {}", name));
    return r && r->rows() > 0 ? r->Get(0, 0) : "";
  };
  c.out.facts.primary_version = std::atoi(show("server_version_num").c_str());
  std::string wal_level = show("wal_level");
  c.out.report.Add(
      CheckItem::OkOrFail(wal_level == "replica" || wal_level == "logical", "wal_level", wal_level,
                          "the primary writes enough WAL for a standby",
                          "Run \"pgreplica primary setup\" on the primary and restart it."));
  c.replication = std::move(*conn);
}

void CheckLocalPrograms(Context& c) {
  int major = pg::MajorVersion(c.out.facts.primary_version);
  std::optional<int> want = major > 0 ? std::optional<int>(major) : std::nullopt;
  auto bindir = pg::ChooseBindir(c.in.config.local.bindir, want);
  if (!bindir) {
    c.out.report.Add(
        CheckItem::Fail("local_programs", "", bindir.error().message, bindir.error().hint));
    return;
  }
  c.out.plan.bindir = *bindir;
  c.out.plan.client_bindir =
      c.in.config.local.client_bindir.empty() ? *bindir : c.in.config.local.client_bindir;
  const std::string verifier = pg::VerifierProgram(c.in.config.clone.verify);
  auto tools = pg::InspectCloneToolset(*bindir, c.in.config.local.client_bindir, want, verifier);
  if (!tools) {
    std::string dirs =
        c.out.plan.client_bindir == *bindir
            ? *bindir
            : fmt::format("{}, client programs {}", *bindir, c.out.plan.client_bindir);
    const Error& e = tools.error();
    c.out.report.Add(CheckItem::Fail("local_programs", dirs, e.message,
                                     e.detail.empty() ? e.hint : e.detail + " " + e.hint));
    return;
  }
  c.out.plan.primary_major = major;
  c.out.plan.verifier_major = tools->verifier_major;
  std::string message =
      tools->server_bindir == tools->client_bindir
          ? fmt::format("the local PostgreSQL {} programs in {} match the primary",
                        tools->server_major, tools->server_bindir)
          : fmt::format(
                "the server programs in {} (PostgreSQL {}) match the primary; "
                "pg_basebackup {}{} come from {}",
                tools->server_bindir, tools->server_major, tools->basebackup_major,
                verifier.empty() ? std::string()
                                 : fmt::format(" and {} {}", verifier, tools->verifier_major),
                tools->client_bindir);
  c.out.report.Add(CheckItem::Ok("local_programs", tools->programs.front().version_text, message));
}

void CheckCatalog(Context& c) {
  auto conn = pg::Connection::Open(PrimaryAdminParams(c.in.config), "primary");
  if (!conn) {
    c.out.report.Add(CheckItem::Warn(
        "primary_catalog", conn.error().message,
        "could not query the primary's catalog, so free WAL senders, free slots, whether the slot "
        "is active elsewhere and the primary's size are not checked",
        "Give pgreplica a monitoring or superuser login (primary.admin_user, "
        "primary.admin_passfile)."));
    return;
  }
  c.out.facts.catalog_available = true;
  if (c.out.facts.primary_version >= kMinVersionForServerCompression) {
    if (auto m = conn->Exec(kServerMethodsQuery); m && m->rows() == 1)
      c.out.facts.server_methods = {true, m->Get(0, 0) == "t", m->Get(0, 1) == "t"};
  }
  // The preflight's own replication connection is a walsender too; it ends before the copy.
  std::string own_walsender =
      std::to_string(c.replication ? PQbackendPID(c.replication->raw()) : 0);
  // The copy also needs the WAL written from its start: at least two segments' worth.
  auto r = conn->Exec(
      "SELECT current_setting('max_wal_senders')::int - (SELECT count(*) FROM "
      "pg_stat_replication WHERE pid <> $1::int)::int, "
      "current_setting('max_replication_slots')::int - (SELECT count(*) FROM "
      "pg_replication_slots)::int, "
      "(SELECT sum(pg_database_size(oid))::bigint FROM pg_database WHERE datallowconn) + "
      "2 * (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')",
      {own_walsender});
  if (!r) {
    c.out.report.Add(CheckItem::Warn("primary_catalog", "", r.error().message));
    return;
  }
  auto senders = ParseInt(r->Get(0, 0));
  auto slots = ParseInt(r->Get(0, 1));
  auto size = ParseUint64(r->Get(0, 2));
  if (!senders || !slots || !size) {
    c.out.report.Add(
        CheckItem::Warn("primary_catalog", "",
                        "the primary's answer about WAL senders, slots and size did not parse"));
    return;
  }
  int free_senders = *senders;
  int free_slots = *slots;
  c.out.facts.primary_size_bytes = *size;
  c.out.report.Add(CheckItem::OkOrFail(
      free_senders >= kSendersPerClone, "wal_senders", std::to_string(free_senders),
      fmt::format("the copy needs {} free WAL senders", kSendersPerClone),
      "Raise max_wal_senders on the primary (restart needed), or wait for other copies to end."));
  auto slot = ReadSlot(*conn, c.in.slot);
  if (slot) c.out.facts.slot = *slot;
  if (auto dd = conn->Exec("SELECT current_setting('data_directory')"); dd && dd->rows() == 1)
    c.primary_data_directory = dd->Get(0, 0);
  if (auto ts = ListPrimaryTablespaces(*conn)) {
    for (const auto& t : *ts) c.out.facts.tablespaces_bytes += t.size_bytes;
    c.primary_tablespaces = std::move(*ts);
  } else {
    c.out.report.Add(CheckItem::Fail("tablespace", "", ts.error().message,
                                     "Give the admin login the right to read pg_tablespace."));
  }
  int needed = 1;  // the host's slot when it is new, else the temporary copy slot
  c.out.report.Add(
      CheckItem::OkOrFail(free_slots >= needed, "replication_slots", std::to_string(free_slots),
                          fmt::format("the clone needs {} free replication slot(s)", needed),
                          "Drop unused slots (pgreplica decommission), or raise "
                          "max_replication_slots on the primary."));
  c.catalog = std::move(*conn);
}

void CheckOldTablespaces(Context& c) {
  if (c.out.facts.local.tablespaces.empty()) return;
  JudgeOldTablespaces(c.out.facts.local, c.in.os_user,
                      TablespacesOfOtherServers(c.in.layout.data.real), c.in.layout, c.out.report);
}

// Refusals of the data directory's path, before its contents are read: a mount point cannot be
// swapped, and pg_ctl and pg_verifybackup hand the path to /bin/sh inside double quotes. False
// when one was reported.
bool DataDirectoryPathUsable(Context& c) {
  const Location& d = c.in.layout.data;
  if (d.mount_point) {
    c.out.report.Add(CheckItem::Fail(
        "data_directory", d.real,
        "is the root of a mounted filesystem; the swap renames the data directory, which cannot "
        "be done to a mount point",
        fmt::format("Make the data directory a subdirectory of the mounted filesystem (for "
                    "example {}/data, as PostgreSQL recommends), or mount the filesystem on the "
                    "parent directory. See \"Layouts\" in docs/clone.md.",
                    d.real)));
    return false;
  }
  for (const std::string& path : {d.configured, d.real}) {
    if (path.find_first_of("\"$`\\\n\r") != std::string::npos) {
      c.out.report.Add(CheckItem::Fail(
          "data_directory", path,
          "contains a character (\", $, `, \\ or a line break) that pg_ctl and pg_verifybackup "
          "would pass through the shell",
          "Rename the directory (or the link's target) to a path without those characters."));
      return false;
    }
  }
  return true;
}

// Reads what is in the data directory into facts.local; a data directory (or a link's target)
// must belong to the OS user. False when a failure was reported.
bool InspectLocalData(Context& c, const std::string& shown) {
  const Location& d = c.in.layout.data;
  auto state = InspectDataDir(d);
  if (!state) {
    c.out.report.Add(
        CheckItem::Fail("data_directory", d.real, state.error().message, state.error().hint));
    return false;
  }
  c.out.facts.local = *state;
  const auto& s = *state;
  if (s.exists && s.owner != c.in.os_user.uid && (d.is_link() || s.is_pgdata)) {
    c.out.report.Add(
        CheckItem::Fail("data_directory", shown,
                        fmt::format("belongs to {}, not to the PostgreSQL OS user \"{}\"",
                                    UserLabel(s.owner), c.in.os_user.name),
                        fmt::format("chown {} {} (if it really is this standby's data directory)",
                                    c.in.os_user.name, d.real)));
    return false;
  }
  return true;
}

// The local service (plan.service) and whether a server runs in the data directory: its
// postmaster.pid, or what the service reports when it can be asked; where the two disagree, it
// is reported. nullopt when the service cannot be built (reported).
std::optional<bool> LocalServerRuns(Context& c) {
  const auto& cfg = c.in.config;
  auto& plan = c.out.plan;
  const Location& d = c.in.layout.data;
  const DataDirState& s = c.out.facts.local;
  ServiceContext sc{plan.bindir.empty() ? cfg.local.bindir : plan.bindir, d.configured,
                    c.in.os_user, cfg.local.port, cfg.clone.confirm_timeout};
  auto service = MakeService(cfg.local.service, sc);
  if (!service) {
    c.out.report.Add(CheckItem::Fail("service", cfg.local.service.type, service.error().message,
                                     service.error().hint));
    return std::nullopt;
  }
  plan.service = (*service)->Describe();
  if (auto fits = CheckServiceFits(cfg.local.service, d.real); !fits) {
    c.out.report.Add(CheckItem::Fail("service", cfg.local.service.type,
                                     fits.error().message + ". " + fits.error().detail,
                                     fits.error().hint));
  }
  bool running = s.postmaster_pid != 0;
  if (s.is_pgdata && !plan.bindir.empty()) {
    auto r = (*service)->IsRunning();
    if (r && !*r && s.postmaster_pid != 0) {
      // The swap stops the old server through the service; one it does not know would keep
      // running while its directory is moved away.
      c.out.report.Add(CheckItem::Fail(
          "service", plan.service,
          fmt::format("a server runs in the data directory (pid {}), but the service ({}) "
                      "reports it stopped; the swap could not stop it",
                      s.postmaster_pid, plan.service),
          "Set local.service to what started this server, or stop it and start it that way."));
    } else if (r && *r && s.postmaster_pid == 0) {
      c.out.report.Add(
          CheckItem::Warn("service", plan.service,
                          fmt::format("the service ({}) reports a running server, but none "
                                      "runs in the data directory; it may control another one",
                                      plan.service)));
    } else if (r) {
      running = *r;
    }
  }
  return running;
}

// A running server that is not a standby: the primary itself is refused always; a promoted
// standby of this primary, or another primary, only without --force.
void JudgeRunningPrimary(Context& c, const std::string& shown) {
  const DataDirState& s = c.out.facts.local;
  const std::string& old_directory = c.out.plan.old_directory;
  bool same_system =
      s.system_identifier && std::to_string(*s.system_identifier) == c.out.facts.system_identifier;
  // The same system identifier is the primary itself, or a standby of it that was promoted.
  // Only the primary's own data directory on this host is the former; without the admin login
  // that cannot be told, and the primary is never risked.
  bool promoted_copy = same_system && !c.primary_data_directory.empty() &&
                       !(IsLocalHost(c.in.config.primary.host) &&
                         NormalPath(c.primary_data_directory) == c.in.layout.data.real);
  if (same_system && !promoted_copy) {
    c.out.report.Add(CheckItem::Fail(
        "data_directory", shown,
        c.primary_data_directory.empty()
            ? "is the primary itself, or a standby of it that was promoted (same system "
              "identifier, running, not in recovery); without the admin login this cannot be "
              "told apart"
            : "is the primary itself (same system identifier and data directory, running, not "
              "in recovery)",
        c.primary_data_directory.empty()
            ? "Give pgreplica the admin login (primary.admin_user, primary.admin_passfile), or "
              "stop the promoted server yourself and run again."
            : "Run clone on the standby host, with local.data_directory set to the standby's "
              "data."));
  } else if (promoted_copy) {
    c.out.report.Add(CheckItem::Of(
        c.in.force ? CheckStatus::kWarning : CheckStatus::kFail, "data_directory", shown,
        fmt::format("is a standby of this primary that was promoted (same system identifier, "
                    "not in recovery); the clone would stop it and move its data to {}",
                    old_directory),
        c.in.force ? ""
                   : "If it is to be a standby again, run again with --force (its changes since "
                     "the promotion are kept only in the old copy)."));
  } else {
    c.out.report.Add(CheckItem::Of(
        c.in.force ? CheckStatus::kWarning : CheckStatus::kFail, "data_directory", shown,
        fmt::format("is a running primary (PostgreSQL {}); the clone would stop it and move its "
                    "data to {}",
                    s.major, old_directory),
        c.in.force ? "" : "If this server really is to become a standby, run again with --force."));
  }
}

// What the data directory holds, and what the clone does with it.
void JudgeDataDirectoryContents(Context& c, const std::string& shown) {
  const Location& d = c.in.layout.data;
  const DataDirState& s = c.out.facts.local;
  const bool running = c.out.facts.local_running;
  std::string link_note =
      d.is_link() ? fmt::format(" (\"{}\" is a link to it and stays one)", d.configured) : "";
  if (!s.exists || s.empty) {
    c.out.report.Add(CheckItem::Ok("data_directory", shown,
                                   (s.exists ? "empty: the new standby goes here"
                                             : "does not exist yet: the new standby goes here") +
                                       link_note));
  } else if (!s.is_pgdata) {
    c.out.report.Add(CheckItem::Fail(
        "data_directory", shown, "is not empty and is not a PostgreSQL data directory",
        "Point local.data_directory at the standby's data directory, or empty it."));
  } else if (!s.is_standby && running) {
    JudgeRunningPrimary(c, shown);
  } else {
    c.out.report.Add(
        CheckItem::Ok("data_directory", shown,
                      fmt::format("a {} {}; {} moved to {} at the swap{}",
                                  s.is_standby ? "standby" : "server without standby.signal",
                                  running ? "that runs" : "that is stopped",
                                  running ? "it keeps running during the copy and is" : "it is",
                                  c.out.plan.old_directory, link_note)));
  }
}

// The data directory: its layout (link, mount point, owner) and what is in it.
void CheckLocalDirectory(Context& c) {
  auto& plan = c.out.plan;
  const Location& d = c.in.layout.data;
  if (!DataDirectoryPathUsable(c)) return;
  std::string shown = d.is_link() ? fmt::format("{} -> {}", d.configured, d.real) : d.real;
  if (!InspectLocalData(c, shown)) return;
  auto running = LocalServerRuns(c);
  if (!running) return;
  const DataDirState& s = c.out.facts.local;
  c.out.facts.local_running = *running && s.is_pgdata;
  plan.replace_existing = s.exists;
  plan.stop_running = c.out.facts.local_running;
  plan.old_directory = d.SiblingPath(std::string(kOldInfix) + c.in.layout.stamp);
  JudgeDataDirectoryContents(c, shown);
  auto leftover = d.parent.Stat(d.Sibling(kStagingSuffix));
  plan.remove_leftover_staging = leftover && *leftover;
  if (plan.remove_leftover_staging) {
    c.out.report.Add(
        CheckItem::Ok("staging", plan.staging,
                      "a staging directory left by an interrupted run is removed before the copy"));
  }
  CheckOldTablespaces(c);
}

void CheckNotSelf(Context& c) {
  const auto& cfg = c.in.config;
  bool self = IsLocalHost(cfg.primary.host) && cfg.primary.port == cfg.local.port;
  c.out.report.Add(CheckItem::OkOrFail(
      !self, "not_self", fmt::format("{}:{}", cfg.primary.host, cfg.primary.port),
      self ? "the primary's address is this host and the standby's own port"
           : "the primary is not this standby's own address",
      "Set primary.host to the primary, or local.port to the standby's port."));
}

// clone.compress resolved for this primary: "auto" compresses on a primary of 15 or later that
// is another host, with a method its build has; an explicit server-side method needs 15 or
// later and (when the build could be read) that method.
void CheckCompression(Context& c) {
  const auto& cfg = c.in.config;
  auto choice = ChooseCompression(cfg.clone.compress, c.out.facts.primary_version,
                                  IsLocalHost(cfg.primary.host), c.out.facts.server_methods);
  if (!choice) {
    c.out.report.Add(CheckItem::Fail("compression", cfg.clone.compress,
                                     choice.error().message + ": " + choice.error().detail,
                                     choice.error().hint));
    return;
  }
  const ServerMethods& m = c.out.facts.server_methods;
  if (m.known) {
    c.out.plan.primary_compression_methods = nlohmann::json::array();
    if (m.lz4) c.out.plan.primary_compression_methods.push_back("lz4");
    if (m.zstd) c.out.plan.primary_compression_methods.push_back("zstd");
  }
  c.out.plan.verify = c.in.config.clone.verify;
  c.out.plan.compress = choice->compress;
  c.out.plan.compress_note = choice->note;
  c.out.report.Add(CheckItem::Ok(
      "compression", choice->compress.empty() ? "none" : choice->compress, choice->note));
}

// The copy never streams through an existing slot of the host: that would
// move its restart_lsn past what the old standby still needs, and a failed
// clone would leave the old standby unable to catch up. An existing slot is
// kept as it is; the copy streams through a temporary slot that is dropped at
// the end, and the new standby takes over the host's slot after the swap.
void CheckSlot(Context& c) {
  auto& plan = c.out.plan;
  const SlotInfo& s = c.out.facts.slot;
  const DataDirState& local = c.out.facts.local;
  bool ours = c.out.facts.local_running && local.is_standby && local.primary_slot_name == c.in.slot;
  auto use_copy_slot = [&] { plan.copy_slot = CloneSlotName(c.in.slot); };
  plan.copy_slot = c.in.slot;
  plan.create_slot = !s.exists;
  if (!c.out.facts.catalog_available) {
    use_copy_slot();
    plan.create_slot = true;  // created if missing; an existing one is left as it is
    c.out.report.Add(CheckItem::Warn(
        "slot", c.in.slot, "whether the slot exists or is active elsewhere could not be checked"));
    return;
  }
  if (s.exists && s.slot_type != "physical") {
    c.out.report.Add(CheckItem::Fail("slot", c.in.slot, fmt::format("is a {} slot", s.slot_type),
                                     "Choose another slot name with --slot."));
  } else if (s.active && !ours && !c.in.leftovers.empty()) {
    use_copy_slot();
    c.out.report.Add(CheckItem::Warn(
        "slot", c.in.slot,
        fmt::format("is active; a pg_basebackup left by an interrupted run (pid {}) may hold it, "
                    "and the clone ends that process before the copy",
                    c.in.leftovers.front())));
  } else if (s.active && !ours) {
    c.out.report.Add(CheckItem::Fail(
        "slot", c.in.slot,
        fmt::format("is active, held by another client (walsender pid {})", s.active_pid),
        "Decommission the replica that uses it (pgreplica decommission), or choose another name "
        "with --slot."));
  } else if (s.exists) {
    use_copy_slot();
    c.out.report.Add(CheckItem::Ok(
        "slot", c.in.slot,
        fmt::format("{}; it is left as it is until the swap, and the copy streams through the "
                    "temporary slot \"{}\"",
                    s.active ? "is held by the local standby" : "exists and is inactive",
                    plan.copy_slot)));
  } else {
    c.out.report.Add(CheckItem::Ok(
        "slot", c.in.slot, "does not exist: it is created with WAL reserved before the copy"));
  }
}

// The copy needs room on each filesystem it writes to: the data directory's (the primary's
// size without its user tablespaces) and each tablespace location's.
void CheckSpace(Context& c) {
  if (!c.out.facts.primary_size_bytes) return;
  struct Need {
    const Dir* dir;
    std::uint64_t bytes = 0;
    std::string what;
  };
  std::vector<Need> needs;
  auto add = [&](const Dir& dir, std::uint64_t bytes, const std::string& what) {
    for (auto& n : needs) {
      if (n.dir->status().st_dev == dir.status().st_dev) {
        n.bytes += bytes;
        n.what += ", " + what;
        return;
      }
    }
    needs.push_back({&dir, bytes, what});
  };
  std::uint64_t total = *c.out.facts.primary_size_bytes;
  std::uint64_t ts = c.out.facts.tablespaces_bytes;
  add(c.in.layout.data.parent, total > ts ? total - ts : 0, "the data directory with its WAL");
  for (const auto& t : c.in.layout.tablespaces)
    add(t.local.parent, t.size_bytes, fmt::format("tablespace \"{}\"", t.name));
  const int margin = c.in.config.clone.space_margin_percent;
  for (const auto& n : needs) {
    auto free = FreeBytes(*n.dir);
    if (!free) {
      c.out.report.Add(CheckItem::Fail("disk_space", n.dir->path(), free.error().message));
      continue;
    }
    std::uint64_t need = n.bytes + n.bytes * static_cast<std::uint64_t>(margin) / 100;
    bool ok = *free >= need;
    c.out.report.Add(CheckItem::OkOrFail(
        ok, "disk_space", fmt::format("{} free, {} needed", HumanBytes(*free), HumanBytes(need)),
        fmt::format("the filesystem of {} must hold {} ({}) plus {}%", n.dir->path(),
                    HumanBytes(n.bytes), n.what, margin),
        ok ? "" : fmt::format("Free space in {}, or remove old copies (*.old-*).", n.dir->path())));
  }
}

// pg_ctl writes the server log as the OS user; a log it cannot write would be found only at
// the swap, after the whole copy, with the old standby already stopped.
void CheckServiceLog(Context& c) {
  const auto& cfg = c.in.config;
  if (cfg.local.service.type != "pg_ctl") return;
  std::string log = ServiceLogFile(cfg.local.service, c.in.layout.data.configured);
  c.out.plan.log_file = log;
  auto can = proc::UserCanWrite(c.in.os_user, log);
  if (!can) {
    c.out.report.Add(CheckItem::Warn("server_log", log, can.error().message));
  } else if (!*can) {
    c.out.report.Add(CheckItem::Fail(
        "server_log", log,
        fmt::format("the OS user \"{}\" cannot write the server log, so pg_ctl could not start "
                    "the new standby",
                    c.in.os_user.name),
        fmt::format("Make it writable by {0} (touch {1}; chown {0} {1}), or set "
                    "local.service.log_file.",
                    c.in.os_user.name, log)));
  } else {
    c.out.report.Add(
        CheckItem::Ok("server_log", log,
                      fmt::format("pg_ctl can write the server log as \"{}\"", c.in.os_user.name)));
  }
}

// A killed run's pg_basebackup: ended by the clone just before (reported), or still running
// (a dry run ends nothing).
void CheckLeftovers(Context& c) {
  auto list = [](const std::vector<int>& pids) {
    std::string out;
    for (int p : pids) out += (out.empty() ? "" : ", ") + std::to_string(p);
    return out;
  };
  if (!c.in.ended_leftovers.empty()) {
    c.out.report.Add(CheckItem::Ok("leftover_copy", list(c.in.ended_leftovers),
                                   "ended pg_basebackup processes left by an interrupted run"));
  }
  if (c.in.dry_run && !c.in.recovered.empty()) {
    c.out.report.Add(
        CheckItem::Warn("interrupted_swap", "",
                        "the checks below see the directories as the interrupted swap left "
                        "them; a real run puts them back first"));
  }
  for (const auto& r : c.in.recovered) {
    c.out.report.Add(CheckItem::Of(c.in.dry_run ? CheckStatus::kWarning : CheckStatus::kOk,
                                   "interrupted_swap", "", r));
  }
  c.out.plan.leftover_pids = c.in.leftovers;
  if (!c.in.leftovers.empty()) {
    c.out.report.Add(
        CheckItem::Warn("leftover_copy", list(c.in.leftovers),
                        "pg_basebackup processes left by an interrupted run still copy into "
                        "staging; the clone ends them before it copies"));
  }
}

void CheckTablespaces(Context& c) {
  auto mapping = ParseTablespaceMapping(c.in.config.local.tablespace_mapping);
  if (!mapping) {
    c.out.report.Add(
        CheckItem::Fail("tablespace", "", mapping.error().message, mapping.error().hint));
    return;
  }
  if (!c.primary_tablespaces) {
    if (!mapping->empty() || !c.in.layout.old_tablespaces.empty()) {
      c.out.report.Add(CheckItem::Warn(
          "tablespace", "",
          "the primary's tablespaces could not be listed (no admin login), so they are not "
          "mapped: pg_basebackup would write them to the primary's paths",
          "Give pgreplica an admin login (primary.admin_user, primary.admin_passfile)."));
    }
    return;
  }
  JudgeNewTablespaces(*c.primary_tablespaces, *mapping, c.in.os_user, c.in.layout, c.out.report,
                      c.out.plan.tablespaces);
}

}  // namespace

bool IsLocalHost(const std::string& host) {
  if (host.empty() || host.front() == '/' || host == "localhost" || host == "127.0.0.1" ||
      host == "::1")
    return true;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && host == name) return true;
  // The addresses `host` stands for: itself when it is one, else what the resolver (this
  // host's /etc/hosts, DNS) says, as libpq would look it up. A name of one of this host's
  // addresses is this host, whatever the name.
  std::vector<std::string> wanted;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) == 0) {
    for (addrinfo* a = found; a; a = a->ai_next) {
      char buf[NI_MAXHOST];
      if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0)
        wanted.emplace_back(buf);
    }
    freeaddrinfo(found);
  }
  if (wanted.empty()) wanted.push_back(host);
  for (const auto& w : wanted)
    if (w.rfind("127.", 0) == 0 || w == "::1") return true;  // loopback: 127.0.1.1 and the like
  ifaddrs* addrs = nullptr;
  if (getifaddrs(&addrs) != 0) return false;
  bool local = false;
  for (ifaddrs* a = addrs; a && !local; a = a->ifa_next) {
    if (!a->ifa_addr || (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
      continue;
    char buf[NI_MAXHOST];
    socklen_t len = a->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (getnameinfo(a->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0)
      for (const auto& w : wanted) local = local || w == buf;
  }
  freeifaddrs(addrs);
  return local;
}

nlohmann::json ClonePlan::ToJson() const {
  return {{"data_directory", data_directory},
          {"data_real", data_real},
          {"staging", staging},
          {"old_directory", replace_existing ? nlohmann::json(old_directory) : nlohmann::json()},
          {"slot", slot},
          {"copy_slot", copy_slot},
          {"create_slot", create_slot},
          {"replace_existing", replace_existing},
          {"stop_running", stop_running},
          {"bindir", bindir},
          {"client_bindir", client_bindir},
          {"pgpass_file", pgpass_file},
          {"service", service},
          {"log_file", log_file},
          {"tablespaces", tablespaces},
          {"leftover_pids", leftover_pids},
          {"compress", compress.empty() ? "none" : compress},
          {"compress_note", compress_note},
          {"verify", verify},
          {"verify_parses_wal",
           verify == "off" ? nlohmann::json()
                           : nlohmann::json(ChooseWalCheck(verifier_major, primary_major).parse)},
          {"primary_compression_methods", primary_compression_methods},
          {"pg_basebackup", basebackup_argv}};
}

BasebackupSpec BasebackupSpecFor(const conf::Config& cfg, const ClonePlan& plan,
                                 const LocalLayout& layout) {
  BasebackupSpec spec{plan.client_bindir, plan.staging,       PrimaryReplicationParams(cfg, "", ""),
                      plan.copy_slot,     cfg.clone.max_rate, plan.compress};
  // The standby shows up on the primary under its slot's name.
  spec.primary.application_name = plan.slot;
  for (const auto& t : layout.tablespaces)
    spec.tablespace_mapping.emplace_back(t.primary_location, t.local.SiblingPath(kStagingSuffix));
  return spec;
}

PreflightResult RunPreflight(PreflightInputs& in) {
  PreflightResult out;
  const auto& cfg = in.config;
  out.plan.data_directory = in.layout.data.configured;
  out.plan.data_real = in.layout.data.real;
  out.plan.staging = in.layout.data.SiblingPath(kStagingSuffix);
  out.plan.slot = in.slot;
  out.plan.pgpass_file = conf::PgpassPath(cfg, in.os_user.home);
  Context c{in, out, std::nullopt, std::nullopt, std::nullopt};
  CheckLeftovers(c);
  CheckPasswordFile(c);
  CheckPrimaryOverReplication(c);
  CheckLocalPrograms(c);
  CheckNotSelf(c);
  if (c.replication) CheckCatalog(c);
  if (c.replication) CheckCompression(c);
  CheckLocalDirectory(c);
  CheckServiceLog(c);
  if (c.replication) {
    CheckTablespaces(c);
    CheckSlot(c);
    CheckSpace(c);
  }
  if (!out.plan.client_bindir.empty())
    out.plan.basebackup_argv = BasebackupArgv(BasebackupSpecFor(cfg, out.plan, in.layout));
  return out;
}

}  // namespace pgreplica::replica
