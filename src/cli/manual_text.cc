#include "cli/manual_text.h"

namespace pgreplica::cli {

namespace {

constexpr CommandProse kProse[] = {
    {"",
     "pgreplica makes PostgreSQL physical hot standbys safe and boring to create, watch and "
     "retire. PostgreSQL does the replicating (streaming replication, replication slots); "
     "pgreplica is the careful engine around pg_basebackup and replication slots that never "
     "deletes a working standby before its replacement is verified.\n\n"
     "The lifecycle: primary setup (on the primary), pgpass and clone (on the replica), status and "
     "check (anywhere), decommission (anywhere). Every command reads one YAML configuration file "
     "(--config, or /etc/pgreplica/pgreplica.yaml when it exists), then --set KEY=VALUE options, "
     "then per-command options such as --host. Each command has its own page, named "
     "pgreplica-COMMAND, and answers --help.\n\n"
     "Errors are printed the way PostgreSQL prints them: a short message, then DETAIL and HINT "
     "lines; with --output json they are a JSON document on standard output. The replication "
     "password is read from a secrets file (mode 0600) or standard input, never from the command "
     "line or the environment, and never appears in output or logs.",
     "Prepare a primary once, on the primary:\n"
     "pgreplica primary setup --allowed-address 10.0.0.12/32 "
     "--password-file /etc/pgreplica/replication.secret\n\n"
     "Make this host a standby of it:\n"
     "pgreplica pgpass --host primary.example.com --password-file "
     "/etc/pgreplica/replication.secret\n"
     "pgreplica clone --dry-run\n"
     "pgreplica clone\n\n"
     "Watch it:\n"
     "pgreplica status\n"
     "pgreplica check"},
    {"doctor",
     "Checks this host for what pgreplica needs: the PostgreSQL programs and their major version, "
     "the PostgreSQL OS user, permissions of the data and state directories, the configuration, "
     "the password files, and whether the configured service type can start the data directory. "
     "Each item is reported with a fix. It changes nothing.",
     "Check a host before its first clone:\n"
     "pgreplica doctor\n\n"
     "The same as JSON, for a script:\n"
     "pgreplica doctor --output json"},
    {"config",
     "config check loads a configuration file exactly as every other command loads it (the "
     "same parser and checks of each key, then --set) and judges it as clone and check on a "
     "standby would: a file that names no primary (no primary.host, or host: '') is invalid, so "
     "are service settings clone would refuse and, as root, custom service commands in a file "
     "that someone other than root could change. It exits 0 when the file is valid, else with "
     "the exit code of the error, and changes nothing.\n\n"
     "The file is FILE, else --config, else /etc/pgreplica/pgreplica.yaml. With --output json "
     "the document has the file, valid, the error (message, detail, hint), warnings and the "
     "effective settings (paths of password files, never a password). Made to be Salt's "
     "check_cmd: Salt passes the path of the candidate file last, and keeps the old file when "
     "the check fails.",
     "Check the installed configuration:\n"
     "pgreplica config check\n\n"
     "Check a candidate before it replaces the installed one:\n"
     "pgreplica config check /tmp/pgreplica.yaml.new && mv /tmp/pgreplica.yaml.new "
     "/etc/pgreplica/pgreplica.yaml\n\n"
     "The effective settings as JSON:\n"
     "pgreplica config check --output json"},
    {"primary",
     "primary check reports each prerequisite of streaming replication on the primary: "
     "wal_level, free WAL senders and slots, the replication role, a real replication connection "
     "with these credentials, hot_standby and max_slot_wal_keep_size, each with its fix.\n\n"
     "primary setup applies what check asks for, idempotently: settings through ALTER SYSTEM "
     "(saying which need a restart), the replication role with a SCRAM password (only the "
     "verifier is sent), its pg_hba.conf line, and a reload. An existing role keeps its password "
     "unless --reset-password is given, because other standbys use it; an existing reject line for "
     "the role is reported, not overridden. Run it on the primary, as root or as a superuser.",
     "Check a primary from anywhere:\n"
     "pgreplica primary check --host primary.example.com\n\n"
     "Prepare the local primary for a standby at 10.0.0.12:\n"
     "pgreplica primary setup --host 127.0.0.1 --allowed-address 10.0.0.12/32 "
     "--password-file /etc/pgreplica/replication.secret"},
    {"pgpass",
     "Writes the replication credentials into the PostgreSQL OS user's libpq password file "
     "(~postgres/.pgpass, or local.pgpass_file), where the standby's WAL receiver finds them: "
     "fields escaped, replication as the database, mode 0600, the OS user as owner, other lines "
     "kept, written to a temporary file and renamed.",
     "Store the password from a secrets file:\n"
     "pgreplica pgpass --host primary.example.com --password-file "
     "/etc/pgreplica/replication.secret\n\n"
     "Read it from standard input instead:\n"
     "pgreplica pgpass --host primary.example.com --password-stdin < secret\n\n"
     "Prove a new password against the primary before it replaces the working one (nothing "
     "is written if the primary refuses it; exit 8 or 7):\n"
     "pgreplica pgpass --verify --password-stdin < new-secret\n\n"
     "Only say whether the file would change:\n"
     "pgreplica pgpass --dry-run"},
    {"clone",
     "Turns this host into a streaming hot standby of the primary without ever losing the old "
     "one. Every check runs before anything is touched (--dry-run stops there and prints the "
     "plan); a physical slot reserves WAL before the copy; pg_basebackup copies into a staging "
     "directory beside the data directory while the old standby keeps serving; the copy is "
     "verified "
     "against its backup manifest (clone.verify: the built-in verifier, or pg_verifybackup); then "
     "the old standby is stopped, moved aside (kept as "
     "DATADIR.old-TIMESTAMP), the copy moved in and started, and streaming is confirmed.\n\n"
     "The standby's postgres and pg_ctl (local.bindir) must be of the primary's major version "
     "exactly; pg_basebackup and pg_verifybackup (local.client_bindir, by default local.bindir) "
     "may be newer, never older. A newer pg_verifybackup checks the copy without its WAL "
     "(--no-parse-wal), and the verify step says so.\n\n"
     "A failure or an interruption (Ctrl-C, SIGTERM, a lost SSH session) before the swap leaves "
     "the old standby running and untouched and removes the staging directory; after it, the old "
     "data stays restorable and the message says how. Every run is recorded as a job (see "
     "pgreplica-jobs(1)).",
     "See what a clone would do, then do it:\n"
     "pgreplica clone --dry-run\n"
     "pgreplica clone\n\n"
     "Run it in the background and follow it:\n"
     "pgreplica clone --detach\n"
     "pgreplica jobs show ID --follow\n\n"
     "Rebuild only when this host does not stream from the primary (from cron or Salt):\n"
     "pgreplica clone --if-needed"},
    {"jobs",
     "Every clone and decommission run is recorded in the state directory (state_directory, "
     "default /var/lib/pgreplica): its arguments, steps with timings, outcome, exit code and the "
     "path of its log. jobs list lists them, newest first; jobs show prints one, and with "
     "--follow prints its log as it grows until the job ends, then exits with the job's exit "
     "code.",
     "List the jobs of this host:\n"
     "pgreplica jobs list\n\n"
     "Follow a detached clone:\n"
     "pgreplica jobs show 20250101T120000Z-clone-4a2f --follow"},
    {"status",
     "Queries the primary (replication slots with retained WAL, wal_status and safe_wal_size; "
     "connected standbys with their sent, write, flush and replay lag in bytes and seconds) and "
     "the local standby (WAL receiver state, time since the primary was last heard, replay lag), "
     "or every node of an inventory file at once. Output as text, JSON, or Prometheus's text "
     "exposition format for node_exporter's textfile collector (pgreplica-metrics.service does "
     "that every minute).",
     "The configured primary and this standby:\n"
     "pgreplica status\n\n"
     "A fleet, as JSON:\n"
     "pgreplica status --inventory /etc/pgreplica/inventory.yaml --output json\n\n"
     "Metrics for node_exporter, written atomically:\n"
     "pgreplica status --output prometheus > /var/lib/prometheus/node-exporter/pgreplica.prom.tmp\n"
     "mv /var/lib/prometheus/node-exporter/pgreplica.prom.tmp "
     "/var/lib/prometheus/node-exporter/pgreplica.prom"},
    {"check",
     "The facts of pgreplica-status(1) judged against thresholds, as a Nagios or Icinga plugin: "
     "one status line with performance data and the monitoring-plugins exit codes. A slot "
     "retaining too much WAL, a standby lagging in bytes or seconds, an inactive slot, a "
     "receiver that heard nothing from the primary for too long, an expected standby that is not "
     "streaming, or a node that does not answer raise WARNING or CRITICAL. The thresholds come "
     "from the configuration's check section and the options below.",
     "From Nagios or Icinga:\n"
     "pgreplica check --config /etc/pgreplica/pgreplica.yaml\n\n"
     "Require two standbys to stream from this primary:\n"
     "pgreplica check --primary-only --expect replica-01 --expect replica-02"},
    {"decommission",
     "Retires a replica: drops its replication slot on the primary (refused while the slot is "
     "active unless --force), and on the replica itself optionally stops the standby (--stop) and "
     "moves its data directory aside (--remove-data). Running it again is harmless: an absent "
     "slot is success. Every run is recorded as a job.",
     "Retire another host's replica, from anywhere:\n"
     "pgreplica decommission --node replica-01.example.com --dry-run\n"
     "pgreplica decommission --node replica-01.example.com\n\n"
     "Retire this host's standby and keep its data aside:\n"
     "pgreplica decommission --stop --remove-data"},
};

}  // namespace

const CommandProse* FindProse(std::string_view command) {
  for (const auto& p : kProse)
    if (p.command == command) return &p;
  return nullptr;
}

}  // namespace pgreplica::cli
