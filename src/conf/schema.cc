// The schema of the configuration: every key pgreplica reads, declared once (schema.h).

#include "conf/schema.h"

#include <set>

#include <fmt/format.h>

#include "common/text.h"

namespace pgreplica::conf {

namespace {

template <typename Field>
std::function<void(Config&)> ResetOf(Field field) {
  return [field](Config& c) {
    Config defaults;
    field(c) = field(defaults);
  };
}

template <typename Field>
std::function<nlohmann::json(const Config&)> GetOf(Field field) {
  return [field](const Config& c) { return nlohmann::json(field(c)); };
}

template <typename Field>
Access Str(Field field, std::function<Problem(const std::string&)> check = {},
           std::function<std::string(const std::string&)> normalize = {}) {
  return {Type::kString,
          [field, check, normalize](Config& c, const Value& v) -> Problem {
            if (check) {
              if (auto p = check(v.text)) return p;
            }
            field(c) = normalize ? normalize(v.text) : v.text;
            return std::nullopt;
          },
          ResetOf(field), GetOf(field)};
}

template <typename Field>
Access Int(Field field, long long lo, long long hi) {
  return {Type::kInt,
          [field, lo, hi](Config& c, const Value& v) -> Problem {
            if (v.number < lo || v.number > hi)
              return fmt::format("The value must be an integer from {} to {}.", lo, hi);
            field(c) = static_cast<int>(v.number);
            return std::nullopt;
          },
          ResetOf(field), GetOf(field)};
}

template <typename Field>
Access Bool(Field field) {
  return {Type::kBool,
          [field](Config& c, const Value& v) -> Problem {
            field(c) = v.flag;
            return std::nullopt;
          },
          ResetOf(field), GetOf(field)};
}

template <typename Field>
Access List(Field field, std::function<Problem(const std::string&)> check = CheckNoControl) {
  return {Type::kStringList,
          [field, check](Config& c, const Value& v) -> Problem {
            for (const auto& s : v.list)
              if (auto p = check(s)) return p;
            field(c) = v.list;
            return std::nullopt;
          },
          ResetOf(field), GetOf(field)};
}

// clone.verify: builtin, pg_verifybackup, or a boolean (true: builtin; false: off).
std::string NormalizeVerifyMode(const std::string& v) {
  static const std::set<std::string> yes = {"true", "yes", "on", "1"};
  static const std::set<std::string> no = {"false", "no", "off", "0"};
  if (yes.count(v)) return "builtin";
  if (no.count(v)) return "off";
  return v;
}

Problem CheckVerifyMode(const std::string& v) {
  std::string n = NormalizeVerifyMode(v);
  if (n == "builtin" || n == "pg_verifybackup" || n == "off") return std::nullopt;
  return fmt::format("\"{}\" is not a verifier: use builtin, pg_verifybackup, true or false.",
                     Printable(v));
}

Problem CheckOptionalIdentifierText(const std::string& v) {
  return v.empty() ? Problem() : CheckIdentifierText(v);
}

// The field of a Config, const or not.
#define FIELD(expr) \
  [](auto& c) -> auto& { return c.expr; }

// The schema: every key pgreplica reads, once, in file order. A new key is a field of Config
// (config.h), its row here, and its test; the commands named in its option get the option,
// and docs/configuration.md its row (build/pgreplica-gendoc --configuration-table
// docs/configuration.md; the unit test ConfigDoc.TheTablesOfKeysAreTheSchemas fails until then).
const KeyDef kSchema[] = {
    {.key = "primary.host",
     .access = Str(FIELD(primary.host), CheckHost),
     .help = "primary host name or address",
     .option = {"--host",
                {"doctor", "pgpass", "clone", "status", "check", "decommission", "primary check",
                 "primary setup"}},
     .doc = {"string", "(none)",
             "Host name or IP address of the primary (or an absolute socket directory). "
             "Letters, digits, `.`, `-`, `_`, `:` only. Required by every command that reaches "
             "the primary."}},
    {.key = "primary.port",
     .access = Int(FIELD(primary.port), 1, 65535),
     .help = "primary port",
     .option = {"--port",
                {"doctor", "pgpass", "clone", "status", "check", "decommission", "primary check",
                 "primary setup"}},
     .doc = {"integer 1-65535", "5432", "Port of the primary."}},
    {.key = "primary.dbname",
     .access = Str(FIELD(primary.dbname), CheckIdentifierText),
     .help = "database for admin queries on the primary",
     .option = {"--dbname",
                {"clone", "status", "check", "decommission", "primary check", "primary setup"}},
     .doc = {"string", "postgres", "Database used for admin and monitoring queries."}},
    {.key = "primary.admin_user",
     .access = Str(FIELD(primary.admin_user), CheckIdentifierText),
     .help = "superuser (or monitoring user) on the primary",
     .option = {"--admin-user",
                {"clone", "status", "check", "decommission", "primary check", "primary setup"}},
     .doc = {"string", "postgres",
             "A superuser, used by `primary check` and `primary setup` (check also works with "
             "a `pg_monitor` member)."}},
    {.key = "primary.admin_passfile",
     .access = Str(FIELD(primary.admin_passfile), CheckOptionalAbsolutePath),
     .help = "libpq password file for the admin user",
     .option = {"--admin-passfile",
                {"clone", "status", "check", "decommission", "primary check", "primary setup"}},
     .doc = {"absolute path", "(libpq default)",
             "libpq password file holding the admin user's password. Empty: `PGPASSFILE`, then "
             "`~/.pgpass` of the user running pgreplica."}},
    {.key = "replication.user",
     .access = Str(FIELD(replication.user), CheckIdentifierText),
     .help = "replication role",
     .option = {"--user", {"doctor", "pgpass", "clone", "primary check", "primary setup"}},
     .doc = {"string", "replicator",
             "The replication role: 1 to 63 bytes without control characters. In the "
             "pg_hba.conf line that `primary setup` writes it is quoted, with `\"` doubled, so "
             "no name can add a line of its own."}},
    {.key = "replication.password_file",
     .access = Str(FIELD(replication.password_file), CheckOptionalAbsolutePath),
     .help = "secrets file with the replication password",
     .option = {"--password-file", {"doctor", "pgpass", "primary check", "primary setup"}},
     .doc = {"absolute path", "(none)",
             "Secrets file holding the replication password on one line; one line ending "
             "(`\\n` or `\\r\\n`) after it is allowed, anything more (a second line, a blank "
             "line, a NUL byte, more than 64 kB) is an error and nothing is written — a "
             "password is never silently cut at its first line. Refused unless it is a regular "
             "file with mode 0600 or stricter, owned by root or by `local.os_user`. Commands "
             "that need the password also accept `--password-stdin`. A password is never taken "
             "from the command line or the environment."}},
    {.key = "replication.slot",
     .access = Str(FIELD(replication.slot), CheckOptionalSlotName),
     .help = "replication slot name",
     .option = {"--slot", {"clone", "decommission"}},
     .doc = {"slot name", "node_&lt;short hostname&gt;_slot",
             "Physical replication slot of this standby: lower-case letters, digits and `_`, "
             "at most 63 bytes. The default is derived from the host name and made valid "
             "(dashes and dots become `_`)."}},
    {.key = "replication.allowed_address",
     .access = Str(FIELD(replication.allowed_address), CheckOptionalCidr, NormalizeCidr),
     .help = "address (CIDR) allowed to replicate",
     .option = {"--allowed-address", {"primary check", "primary setup"}},
     .doc = {"CIDR, IP address, `samehost` or `samenet`", "(none)",
             "The address `primary setup` allows in pg_hba.conf (`host replication <user> "
             "<address> scram-sha-256`, inserted before the first rule). A bare IP address is "
             "one host: `10.0.0.12` is taken as `10.0.0.12/32`, `fd00::12` as `fd00::12/128` "
             "(pg_hba.conf needs the prefix length). Empty: pg_hba.conf is left alone. The "
             "file is read as the server reads it (first match wins, quoted names, address and "
             "mask, CIDR blocks that contain the address): when the first line that applies "
             "already allows the role, nothing is added; when it is a `reject` line, setup "
             "stops with exit 1 and names the line instead of overriding it. The line "
             "pgreplica would add goes before every other line, so it also stops (exit 1, "
             "nothing changed) when any `reject` line for replication of the role, of `all` or "
             "of a `+group` or `@file` anywhere in the file covers an address that overlaps "
             "the new one (contains it, lies inside it, or cannot be compared: a host name, "
             "`samehost`, `samenet`): the new line would override that reject for the "
             "overlapping addresses. See [primary setup](#primary-setup) for which pg_hba.conf "
             "it edits."}},
    {.key = "local.os_user",
     .access = Str(FIELD(local.os_user), CheckOsUserName),
     .help = "OS user PostgreSQL runs as",
     .option = {"--os-user",
                {"doctor", "pgpass", "clone", "decommission", "primary check", "primary setup"}},
     .doc = {"OS user name", "postgres",
             "The OS user PostgreSQL runs as. When pgreplica runs as root, everything that "
             "touches the data directory or runs PostgreSQL programs runs as this user. Never "
             "root (`root`, or any user with uid 0, is refused: PostgreSQL refuses to run as "
             "root)."}},
    {.key = "local.bindir",
     .access = Str(FIELD(local.bindir), CheckOptionalDirectory),
     .help = "directory of the PostgreSQL programs",
     .option = {"--bindir", {"doctor", "clone", "decommission"}},
     .doc = {"existing directory", "(searched)",
             "Directory of the standby's server programs `pg_ctl` and `postgres`, which must "
             "be of the primary's major version exactly (and of `pg_basebackup` and "
             "`pg_verifybackup` unless `local.client_bindir` is set). Empty: "
             "`/usr/lib/postgresql/<primary's major>/bin` if present, else the directory of "
             "`pg_ctl` in `PATH`, else the newest `/usr/lib/postgresql/*/bin`. See [PostgreSQL "
             "versions](clone.md#postgresql-versions)."}},
    {.key = "local.client_bindir",
     .access = Str(FIELD(local.client_bindir), CheckOptionalDirectory),
     .help = "directory of pg_basebackup and pg_verifybackup; empty: local.bindir",
     .doc = {"existing directory", "(local.bindir)",
             "Directory of `pg_basebackup` and `pg_verifybackup`, which may be newer than the "
             "primary but never older: for example Debian 12's `/usr/lib/postgresql/15/bin` "
             "beside a PostgreSQL 14 server installed elsewhere. A `pg_verifybackup` newer "
             "than the primary checks the copy without its WAL (`--no-parse-wal`), and the "
             "clone says so."}},
    {.key = "local.data_directory",
     .access = Str(FIELD(local.data_directory), CheckOptionalAbsolutePath),
     .help = "data directory of the local standby",
     .option = {"-D,--data-directory", {"doctor", "clone", "status", "check", "decommission"}},
     .doc = {"absolute path", "(none)",
             "Data directory of the local standby. It may be a symbolic link to the real "
             "directory (it stays one); it must not be the root of a mounted filesystem. See "
             "\"Layouts\" in [clone.md](clone.md). With service type `pg_ctl` it, the log file "
             "and the bindir must not contain `\"`, `$`, `` ` `` or `\\`: pg_ctl starts the "
             "server through `/bin/sh -c` with these paths in double quotes."}},
    {.key = "local.port",
     .access = Int(FIELD(local.port), 1, 65535),
     .help = "port of the local standby",
     .option = {"--local-port", {"clone", "status", "check", "decommission"}},
     .doc = {"integer 1-65535", "5432",
             "Port of the local standby. With service type `pg_ctl` the server is started with "
             "this port."}},
    {.key = "local.admin_user",
     .access = Str(FIELD(local.admin_user), CheckOptionalIdentifierText),
     .help = "login for status and check on the local standby; empty: primary.admin_user",
     .doc = {"role name", "(primary.admin_user)",
             "The login `status` and `check` use on the local standby."}},
    {.key = "local.admin_passfile",
     .access = Str(FIELD(local.admin_passfile), CheckOptionalAbsolutePath),
     .help = "libpq password file for local.admin_user (never the primary's admin_passfile)",
     .doc = {"absolute path", "(libpq's default)",
             "libpq password file for `local.admin_user` on the local standby. The primary's "
             "`primary.admin_passfile` is never used there: the local standby runs as the "
             "PostgreSQL OS user, who could as well run anything else on its port and would "
             "then see what is sent. Give the local standby a login of its own with no more "
             "than `pg_monitor`, never the primary's superuser. `clone --if-needed` and the "
             "clone's confirmation do not connect to the local standby at all: they read its "
             "files and ask the primary."}},
    {.key = "local.pgpass_file",
     .access = Str(FIELD(local.pgpass_file), CheckOptionalAbsolutePath),
     .help = "password file of the OS user",
     .option = {"--pgpass-file", {"doctor", "pgpass", "clone", "primary check", "primary setup"}},
     .doc = {"absolute path", "~os_user/.pgpass",
             "The OS user's libpq password file, written by `pgpass` and read by the standby's "
             "WAL receiver."}},
    {.key = "local.tablespace_mapping",
     .access = List(FIELD(local.tablespace_mapping), CheckTablespaceMapping),
     .help = "OLDDIR=NEWDIR: where a tablespace of the primary goes on this host",
     .doc = {"list of `OLDDIR=NEWDIR`", "(none)",
             "Where each user tablespace of the primary goes on this host: `OLDDIR` is its "
             "location on the primary, `NEWDIR` its location here (absolute paths, as "
             "pg_basebackup's `--tablespace-mapping`, without `=` in them). A tablespace "
             "without an entry goes to the primary's path. Needed when the primary's path is "
             "taken on this host (a primary on the same host). `clone --tablespace-mapping "
             "OLDDIR=NEWDIR` adds entries."}},
    {.key = "local.service.type",
     .access = Str(FIELD(local.service.type), CheckServiceType),
     .help = "service control: pg_ctl, systemd, service, custom",
     .option = {"--service", {"clone", "decommission"}},
     .doc = {"pg_ctl, systemd, service, custom", "pg_ctl",
             "How the local server is started and stopped."}},
    {.key = "local.service.unit",
     .access = Str(FIELD(local.service.unit), CheckOptionalUnitName),
     .help = "systemd unit or rc script name",
     .option = {"--service-unit", {"clone", "decommission"}},
     .doc = {"string", "(none)",
             "systemd unit (`postgresql@15-main`) or rc script name (`postgresql`). It may not "
             "start with `-` (systemctl or service would take it for an option) nor contain "
             "spaces, `/`, quotes or control characters."}},
    {.key = "local.service.log_file",
     .access = Str(FIELD(local.service.log_file), CheckOptionalAbsolutePath),
     .help = "server log file (service pg_ctl)",
     .option = {"--log-file", {"clone"}},
     .doc = {"absolute path", "&lt;data_directory&gt;.log",
             "Server log file when the type is `pg_ctl`."}},
    {.key = "local.service.start",
     .access = List(FIELD(local.service.start)),
     .help = "argv that starts the server (custom)",
     .doc = {"list of strings", "(none)", "argv that starts the server, for type `custom`."}},
    {.key = "local.service.stop",
     .access = List(FIELD(local.service.stop)),
     .help = "argv that stops the server (custom)",
     .doc = {"list of strings", "(none)", "argv that stops the server, for type `custom`."}},
    {.key = "local.service.status",
     .access = List(FIELD(local.service.status)),
     .help = "argv that exits 0 when the server runs (custom)",
     .doc = {"list of strings", "(none)",
             "argv that exits 0 when the server runs, for type `custom`."}},
    {.key = "clone.keep_old",
     .access = Int(FIELD(clone.keep_old), 0, 100),
     .help = "old data directories to keep",
     .option = {"--keep-old", {"clone"}},
     .doc = {"integer 0-100", "1",
             "How many old data directories (`<data_directory>.old-<UTC timestamp>`) to keep "
             "after a successful clone."}},
    {.key = "clone.verify",
     .access = Str(FIELD(clone.verify), CheckVerifyMode, NormalizeVerifyMode),
     .help = "check the copy before the swap: builtin, pg_verifybackup, or false (true: "
             "builtin)",
     .doc = {"`builtin`, `pg_verifybackup` or boolean", "builtin",
             "How the copy is checked against its backup manifest before it replaces anything: "
             "`builtin`, pgreplica's own verifier (the same checks as `pg_verifybackup`, files "
             "read in parallel, CRC-32C with the CPU's instruction; see "
             "[clone.md](clone.md#verification)); `pg_verifybackup`, PostgreSQL's program, the "
             "reference; `false` (or `off`) skips verification like `--no-verify`; `true` "
             "means `builtin`. `config check --output json` shows the value as `builtin`, "
             "`pg_verifybackup` or `off`."}},
    {.key = "clone.max_rate",
     .access = Str(FIELD(clone.max_rate), CheckOptionalRate),
     .help = "pg_basebackup --max-rate",
     .option = {"--max-rate", {"clone"}},
     .doc = {"rate", "(none)",
             "Passed to `pg_basebackup --max-rate` (kB/s, or with `k`/`M`), within "
             "pg_basebackup's own range of 32k to 1024M, so that a clone does not fail after "
             "its preflight."}},
    {.key = "clone.compress",
     .access = Str(FIELD(clone.compress), CheckOptionalCompress),
     .help = "auto, none or a pg_basebackup --compress value",
     .option = {"--compress", {"clone"}},
     .doc = {"compression", "auto",
             "`auto`: pgreplica decides, per clone, from what the preflight finds: server-side "
             "`zstd` (`server-zstd`, the default level 3) when the primary runs PostgreSQL 15 "
             "or later, is another host, and its build has zstd; server-side `lz4` when its "
             "build has lz4 but not zstd; no compression when the primary is on this host "
             "(`primary.host` is a socket directory, `localhost`, `127.0.0.1`, `::1`, this "
             "host's name or one of its addresses), runs PostgreSQL 13 or 14 (they cannot "
             "compress a base backup on the server, and pg_basebackup compresses on the client "
             "only for tar format), has neither method, or when its version or its build could "
             "not be read (the build is read from the values `pg_settings` lists for "
             "`wal_compression`, with the admin login). The copy step says what was used and "
             "why (`copied 1.1 GB in 9.2 s, compressed with zstd on the primary "
             "(clone.compress auto: the primary is another host)`); the dry run shows it as "
             "the `compression` check, and `--output json` has it in `plan.compress`. See "
             "[clone.md](clone.md#compression) for the measurements behind the choice. "
             "Anything else is passed to `pg_basebackup --compress`, checked against "
             "pg_basebackup 15's grammar before anything is done: `server-gzip`, `server-lz4` "
             "or `server-zstd`, optionally with `:LEVEL` or `:level=N` (gzip 1-9, lz4 1-12, "
             "zstd -131072 to 22; zstd also `,workers=N`), or `none`. A server-side method "
             "against a PostgreSQL 13 or 14 primary, or one its build lacks, fails in the "
             "preflight (exit 1, nothing changed). pgreplica copies in plain format, for which "
             "pg_basebackup compresses only on the server: client-side compression (`gzip`, "
             "`client-zstd`, a plain level such as `5`) is refused, since pg_basebackup would "
             "fail with \"only tar mode backups can be compressed\" after the copy slot was "
             "made. Compression moves work onto the primary (its walsender compresses; "
             "pg_basebackup decompresses here): set `none` for a primary that cannot spare a "
             "core, or on a link faster than one core of the primary compresses (measure it "
             "with `bench/clone --link RATE`, see "
             "[benchmarks.md](benchmarks.md#across-a-slow-link-benchclone---link-rate)), "
             "`server-lz4` for the cheapest compression, and `clone.max_rate` for a primary "
             "that cannot spare the I/O."}},
    {.key = "clone.confirm_timeout",
     .access = Int(FIELD(clone.confirm_timeout), 1, 86400),
     .help = "seconds to wait for streaming after start",
     .option = {"--confirm-timeout", {"clone"}},
     .doc = {"integer seconds", "120", "How long to wait for the new standby to stream."}},
    {.key = "clone.space_margin_percent",
     .access = Int(FIELD(clone.space_margin_percent), 0, 1000),
     .help = "free space required beyond the primary's size",
     .doc = {"integer 0-1000", "10",
             "Free space required in the staging filesystem beyond the primary's size."}},
    {.key = "check.retained_warn_mb",
     .access = Int(FIELD(check.retained_warn_mb), 1, 100000000),
     .help = "WARNING when a slot retains this much WAL",
     .option = {"--retained-warn-mb", {"check"}},
     .doc = {"integer MB", "1024", "WARNING when one slot retains this much WAL on the primary."}},
    {.key = "check.retained_crit_mb",
     .access = Int(FIELD(check.retained_crit_mb), 1, 100000000),
     .help = "CRITICAL when a slot retains this much WAL",
     .option = {"--retained-crit-mb", {"check"}},
     .doc = {"integer MB", "5120", "CRITICAL likewise."}},
    {.key = "check.lag_warn_mb",
     .access = Int(FIELD(check.lag_warn_mb), 0, 100000000),
     .help = "WARNING when a standby's replay lags this much",
     .option = {"--lag-warn-mb", {"check"}},
     .doc = {"integer MB", "16",
             "WARNING when a standby's replay is this far behind (bytes, measured on the "
             "primary; on a standby, received but not replayed)."}},
    {.key = "check.lag_crit_mb",
     .access = Int(FIELD(check.lag_crit_mb), 0, 100000000),
     .help = "CRITICAL when a standby's replay lags this much",
     .option = {"--lag-crit-mb", {"check"}},
     .doc = {"integer MB", "256", "CRITICAL likewise."}},
    {.key = "check.lag_warn_seconds",
     .access = Int(FIELD(check.lag_warn_seconds), 0, 86400 * 30),
     .help = "WARNING when replay lags this long",
     .option = {"--lag-warn-seconds", {"check"}},
     .doc = {"integer seconds", "60", "WARNING when replay lags this long."}},
    {.key = "check.lag_crit_seconds",
     .access = Int(FIELD(check.lag_crit_seconds), 0, 86400 * 30),
     .help = "CRITICAL when replay lags this long",
     .option = {"--lag-crit-seconds", {"check"}},
     .doc = {"integer seconds", "300", "CRITICAL likewise."}},
    {.key = "check.silence_crit_seconds",
     .access = Int(FIELD(check.silence_crit_seconds), 1, 86400 * 30),
     .help = "CRITICAL when a receiver heard nothing this long",
     .option = {"--silence-crit-seconds", {"check"}},
     .doc = {"integer seconds", "120",
             "CRITICAL when a standby's WAL receiver heard nothing from the primary this long "
             "(a dead link is never reported as lag 0)."}},
    {.key = "check.inactive_slot_critical",
     .access = Bool(FIELD(check.inactive_slot_critical)),
     .help = "inactive slots are CRITICAL instead of WARNING",
     .doc = {"boolean", "false",
             "An inactive slot (the article's alert) is CRITICAL instead of WARNING."}},
    {.key = "check.expected_standbys",
     .access = List(FIELD(check.expected_standbys), CheckStandbyName),
     .help = "standbys (application or slot names) that must stream",
     .doc = {"list of strings", "[]",
             "Standbys (application_name or slot name) that must be streaming from the "
             "primary; a missing one is CRITICAL. An empty entry (`[\"\"]`) is refused: it "
             "matches no standby and would keep the check CRITICAL."}},
    {.key = "state_directory",
     .access = Str(FIELD(state_directory), CheckAbsolutePath),
     .help = "where job records are kept",
     .option = {"--state-directory", {"doctor", "clone", "decommission", "jobs list", "jobs show"}},
     .doc = {"absolute path", "/var/lib/pgreplica",
             "Where job records and job logs, the locks of data directories (`locks/`) and the "
             "journals of swaps in progress (`swaps/`) are kept. It must belong to the user "
             "running pgreplica and be writable by nobody else (a lock the PostgreSQL OS user "
             "could remove would protect nothing). Use one state directory per host."}},
    {.key = "connect_timeout",
     .access = Int(FIELD(connect_timeout), 1, 3600),
     .help = "seconds to wait for a connection",
     .option = {"--connect-timeout",
                {"clone", "status", "check", "decommission", "primary check", "primary setup"}},
     .doc = {"integer seconds 1-3600", "10", "How long to wait for any connection."}},
    {.key = "network_timeout",
     .access = Int(FIELD(network_timeout), 1, 3600),
     .help = "seconds of silence after which a connection to the primary is given up",
     .doc = {"integer seconds 1-3600", "60",
             "How long an established connection to the primary may stay silent before it is "
             "given up: pgreplica's own connections and the copy's (pg_basebackup and its WAL "
             "stream) get TCP keepalives (`keepalives_idle` a third of it, "
             "`keepalives_interval` a sixth) and `tcp_user_timeout` of this many seconds. A "
             "primary that is merely slow or idle is never cut off (its kernel answers the "
             "keepalives); a cut link or a vanished host is. Without it a silent link would "
             "block a clone for hours (the system's keepalive defaults). The copy's connection "
             "settings end up in the new standby's `primary_conninfo` too. See [clone: a link "
             "that breaks](clone.md#a-link-that-breaks)."}},
};

#undef FIELD

}  // namespace

const char* TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "string";
    case Type::kInt:
      return "integer";
    case Type::kBool:
      return "boolean";
    case Type::kStringList:
      return "list of strings";
  }
  return "?";
}

std::span<const KeyDef> Schema() { return kSchema; }

const KeyDef* FindKey(std::string_view key) {
  for (const auto& d : kSchema)
    if (key == d.key) return &d;
  return nullptr;
}

}  // namespace pgreplica::conf
