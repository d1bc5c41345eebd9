#pragma once
// What a primary needs for streaming replication: judged (CheckPrimary) or
// applied idempotently (SetupPrimary).

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/report.h"
#include "pg/conninfo.h"

namespace pgreplica::replica {

struct PrimaryTarget {
  pg::ConnParams admin;         // a superuser (setup) or a monitoring user (check)
  pg::ConnParams replication;   // the replication role; password in memory or from its passfile
  std::string allowed_address;  // for the pg_hba.conf line; empty: leave pg_hba.conf alone
  // The PostgreSQL OS user on this host (local.os_user): setup edits only a pg_hba.conf that
  // belongs to it. nullopt when that user does not exist here.
  std::string os_user;
  std::optional<uid_t> os_uid;
};

// Minimum free WAL senders for a clone: pg_basebackup --wal-method=stream uses two.
inline constexpr int kSendersPerClone = 2;
// What setup configures when a setting is too low (PostgreSQL's own defaults).
inline constexpr int kDefaultMaxWalSenders = 10;
inline constexpr int kDefaultMaxReplicationSlots = 10;

// Connects as the admin user and judges every prerequisite, a replication
// connection with target.replication included. Fails only when the admin
// connection or its query of the server's settings fails; every other problem
// is an item: failed, or a warning for hot_standby off and an unbounded
// max_slot_wal_keep_size.
Result<CheckReport> CheckPrimary(const PrimaryTarget& target);

struct SetupAction {
  std::string name;
  bool changed = false;  // setup changed something on the primary
  bool restart_required = false;
  std::string message;
  // What the item found is wrong and was left so (a password that does not match, a
  // replication connection that fails): setup did not reach its goal.
  bool failed = false;
  // Wrong only until the primary restarts (a replication connection before wal_level applies).
  bool pending = false;
};

struct SetupResult {
  std::vector<SetupAction> actions;  // what was done and found, in order, up to a stop
  bool replication_works = false;    // a replication connection with the password succeeded
  bool password_mismatch = false;    // the role exists with another password, left unchanged
  // pg_hba.conf refuses replication from the host that runs setup because allowed_address is
  // another host's (the usual case: setup runs on the primary for a replica's address). The
  // login cannot be proven from here; the replica proves it (pgpass --verify, clone).
  bool replication_refused_here = false;
  // Why setup stopped; `actions` then lists what was done before (changed ones stay done).
  std::optional<Error> error;
  bool changed() const;
  bool restart_required() const;
  bool failed() const;  // an action failed (not counting `error`)
};

// {"ok", "changed", "restart_required", "replication_works", "replication_refused_here",
// "password_mismatch",
// "actions": [{"name", "status" (ok, changed, pending, failed), "changed",
// "restart_required", "message"}]}; "ok" is false when an action failed or setup stopped.
// The error itself is the caller's to add.
nlohmann::json ToJson(const SetupResult& result);

struct SetupOptions {
  // Replace the password of an existing role when it does not match. Off by
  // default: the role is shared by every standby, and a new password breaks
  // each one that still uses the old.
  bool reset_password = false;
};

// Applies what the primary needs: settings (ALTER SYSTEM), the replication
// role with a SCRAM password (only the verifier is sent) when it does not
// exist, a pg_hba.conf line when allowed_address is set, reload. A second run
// changes nothing. An existing role's password is replaced only with
// options.reset_password; otherwise a mismatch is reported (password_mismatch).
//
// Before anything is changed it stops (result.error, no action changed) when:
// the admin connection fails, or the admin user is not a superuser (kAuth);
// the replication role is the admin user or a superuser (kConfigInvalid: its
// password is the admin's, and standbys would log in as a superuser); a
// pg_hba.conf line would reject the role from the address, or a reject line
// overlaps the address the new first line would allow (kCheckFailed: never
// overridden); the line is needed but the file cannot be edited from here —
// not on this host, or not a regular file of the PostgreSQL OS user read and
// replaced without following a link (kEnvironment or kInsecureFile, with the
// line to add by hand in the hint); the file has errors already. A failure
// after a change stops there too, with the changes made listed in `actions`.
// The password is never logged or returned.
SetupResult SetupPrimary(const PrimaryTarget& target, const std::string& password,
                         const SetupOptions& options = {});

}  // namespace pgreplica::replica
