#pragma once
// What a primary needs for streaming replication: judged (CheckPrimary) or
// applied idempotently (SetupPrimary).

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
};

// Minimum free WAL senders for a clone: pg_basebackup --wal-method=stream uses two.
inline constexpr int kSendersPerClone = 2;
// What setup configures when a setting is too low (PostgreSQL's own defaults).
inline constexpr int kDefaultMaxWalSenders = 10;
inline constexpr int kDefaultMaxReplicationSlots = 10;

// Connects as the admin user and judges every prerequisite. Fails only when
// the admin connection itself fails; every other problem is a failed item.
Result<CheckReport> CheckPrimary(const PrimaryTarget& target);

struct SetupAction {
  std::string name;
  bool changed = false;
  bool restart_required = false;
  std::string message;
};

struct SetupResult {
  std::vector<SetupAction> actions;
  bool replication_works = false;  // a replication connection with the password succeeded
  bool password_mismatch = false;  // the role exists with another password, left unchanged
  bool changed() const;
  bool restart_required() const;
};

nlohmann::json ToJson(const SetupResult& result);

struct SetupOptions {
  // Replace the password of an existing role when it does not match. Off by
  // default: the role is shared by every standby, and a new password breaks
  // each one that still uses the old.
  bool reset_password = false;
};

// Applies what the primary needs: settings (ALTER SYSTEM), the replication
// role with a SCRAM password (only the verifier is sent) when it does not
// exist, a pg_hba.conf line when allowed_address is set and the file is on
// this host, reload. A second run changes nothing. An existing role's
// password is replaced only with options.reset_password; otherwise a mismatch
// is reported (password_mismatch). A pg_hba.conf line that rejects the role
// from that address is a kCheckFailed error, not overridden. The password is
// never logged or returned.
Result<SetupResult> SetupPrimary(const PrimaryTarget& target, const std::string& password,
                                 const SetupOptions& options = {});

}  // namespace pgreplica::replica
