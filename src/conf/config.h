#pragma once
// pgreplica's configuration: one YAML file (default /etc/pgreplica/pgreplica.yaml)
// plus command-line overrides. Every key is declared once, in the schema table
// (schema.cc), which drives parsing, validation, --set, the per-command options
// that set one key each (ConfigKeys) and the tables of keys in
// docs/configuration.md (conf/config_doc.h).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace pgreplica::conf {

inline constexpr const char* kDefaultConfigPath = "/etc/pgreplica/pgreplica.yaml";

struct PrimaryConfig {
  std::string host;  // required by commands that reach the primary
  int port = 5432;
  std::string dbname = "postgres";  // database for admin and monitoring queries
  std::string admin_user = "postgres";
  std::string admin_passfile;  // libpq password file for admin_user; empty: libpq default
};

struct ReplicationConfig {
  std::string user = "replicator";
  std::string password_file;    // secrets file with the replication password
  std::string slot;             // empty: node_<short hostname>_slot
  std::string allowed_address;  // pg_hba.conf address for `primary setup`
};

struct ServiceConfig {
  std::string type = "pg_ctl";                   // pg_ctl | systemd | service | custom
  std::string unit;                              // systemd unit or rc script name
  std::string log_file;                          // pg_ctl log file; empty: <data_directory>.log
  std::vector<std::string> start, stop, status;  // custom argv
  // The file that set custom argv (empty when none did: none, or only from the command
  // line), and why someone other than root could have written it (conf/trust.h; empty when
  // only root could). Root refuses to run commands that someone else could have written.
  std::string commands_source;
  std::string commands_writable_by;
  std::string commands_fix;  // what must change so that only root could (a hint sentence)
};

struct LocalConfig {
  std::string os_user = "postgres";
  // Empty: /usr/lib/postgresql/<primary's major>/bin, else pg_ctl's directory in PATH, else
  // the newest /usr/lib/postgresql/*/bin (pg/binaries.h).
  std::string bindir;
  // pg_basebackup and pg_verifybackup, which may be newer than the primary; empty: bindir.
  std::string client_bindir;
  std::string data_directory;
  int port = 5432;
  std::string pgpass_file;  // empty: <home of os_user>/.pgpass
  // The login status and check use on the local standby (empty user: primary.admin_user). Its
  // password goes to a server the OS user runs: never the primary's superuser's. Empty
  // passfile: libpq's default for the user running pgreplica (never primary.admin_passfile).
  std::string admin_user;
  std::string admin_passfile;
  // "OLDDIR=NEWDIR": where a tablespace of the primary (at OLDDIR there) goes on this host;
  // a tablespace without an entry goes to the primary's path.
  std::vector<std::string> tablespace_mapping;
  ServiceConfig service;
};

struct CloneConfig {
  int keep_old = 1;
  // How the copy is checked before the swap: "builtin", "pg_verifybackup" or "off".
  std::string verify = "builtin";
  std::string max_rate;  // passed to pg_basebackup --max-rate
  // "auto" (clone/compression.h), or passed to pg_basebackup --compress (e.g. server-zstd)
  std::string compress = "auto";
  int confirm_timeout = 120;  // seconds to wait for streaming after start
  int space_margin_percent = 10;
};

struct CheckConfig {  // thresholds of `pgreplica check`
  int retained_warn_mb = 1024;
  int retained_crit_mb = 5120;
  int lag_warn_mb = 16;
  int lag_crit_mb = 256;
  int lag_warn_seconds = 60;
  int lag_crit_seconds = 300;
  int silence_crit_seconds = 120;
  bool inactive_slot_critical = false;
  std::vector<std::string> expected_standbys;
};

struct Config {
  std::string source = "(built-in defaults)";  // file the values came from
  std::vector<std::string> keys_in_file;       // the keys the file set, in file order
  PrimaryConfig primary;
  ReplicationConfig replication;
  LocalConfig local;
  CloneConfig clone;
  CheckConfig check;
  std::string state_directory = "/var/lib/pgreplica";
  int connect_timeout = 10;
  // Seconds of silence after which an established connection to the primary (pg_basebackup's
  // included) is given up (pg::ConnParams::network_timeout).
  int network_timeout = 60;
};

// Loads the file at `path`. When `path` is empty the default path is used if
// it exists, else the built-in defaults. Errors name the file, and where a
// line or a key is at fault, those: kFileAccess (missing/unreadable),
// kInsecureFile (as root, a link someone else could have planted),
// kConfigSyntax (not YAML), kConfigInvalid (unknown key, wrong type, bad value).
Result<Config> LoadConfig(const std::string& path);

// Parses YAML text as if read from `source` (for tests and for LoadConfig).
Result<Config> ParseConfig(const std::string& text, const std::string& source);

// Applies "key=value" (dotted key as in the file) on top of a config;
// "key=" resets the key to its built-in default. kUsage errors name the option.
Status ApplyOverride(Config& config, const std::string& assignment);
// Applies one key with a value given on the command line as `option`.
Status SetKey(Config& config, const std::string& key, const std::string& value,
              const std::string& option);

// Whether primary.host is set (from the file or --host). The kConfigInvalid error "no primary
// host given" otherwise, whose detail says what needs the host: `needed_for` ("The slot is
// dropped on"), or that it was set nowhere when `needed_for` is empty.
Status RequirePrimaryHost(const Config& config, std::string_view needed_for = {});

// Whether the check thresholds agree: a WARNING threshold at most its
// CRITICAL one. An error of `kind` whose message ends with `where` ("in file
// \"x\"", "on the command line") otherwise.
Status CheckThresholds(const Config& config, ErrorKind kind, const std::string& where);
// The keys of those thresholds (check.lag_warn_mb, check.lag_crit_mb, ...).
std::vector<std::string> ThresholdKeys();

// The value of every key of the schema, nested as in the file ({"primary": {"host": ...}}):
// strings, integers, booleans and lists of strings. The configuration holds no password (only
// the paths of the files that do), so neither does this.
nlohmann::json EffectiveSettings(const Config& config);

// Every key of the schema, in file order: its one-line help, the option that sets it on the
// command line and the commands that take that option, and its row in docs/configuration.md.
struct KeyInfo {
  std::string key;
  std::string type;  // "string", "integer", "boolean" or "list of strings"
  std::string help;  // one line; the option's help text
  // CLI11 names of the option ("--host", "-D,--data-directory"); empty when only --set sets it.
  std::string option;
  std::vector<std::string> commands;  // the commands that take the option: "clone", "primary setup"
  // The key's row in docs/configuration.md (markdown).
  std::string doc_type, doc_default, doc_meaning;
};
const std::vector<KeyInfo>& ConfigKeys();

// Suggests the valid name closest to `key` (a dotted path): a section or a
// key within a few edits (transpositions count one) or that `key` abbreviates
// ("state_dir"), else a key whose last component is the same ("port" ->
// "primary.port"). With `keys_only`, only keys (for --set, which cannot set a
// section).
std::optional<std::string> SuggestKey(const std::string& key, bool keys_only = false);

}  // namespace pgreplica::conf
