#include "clone/confirm.h"

#include "common/number.h"
#include "local/datadir.h"
#include "local/location.h"
#include "pg/connection.h"
#include "pg/conninfo.h"
#include "primary/target.h"

namespace pgreplica::replica {

// Whether this host's standby streams from the primary through its slot, without connecting to
// the local server: the PostgreSQL OS user runs it (and could run anything on its port), so no
// credential of root's is ever sent there. Locally the files say what runs and how it is
// configured (a postmaster in the data directory, standby.signal, primary_slot_name and
// primary_conninfo); the primary, reached with the admin login, says whether the slot is held by
// a walsender that streams.
ConfirmFacts AskWhetherStreaming(const conf::Config& cfg, const std::string& data_real,
                                 const std::string& slot) {
  ConfirmFacts f;
  auto data = ResolveLocation(data_real);  // as it is now (a swap may have just happened)
  if (auto local =
          data ? InspectDataDir(*data) : Result<DataDirState>(std::unexpected(data.error()));
      local && local->postmaster_pid != 0) {
    f.in_recovery = local->is_standby;
    f.receiver_slot = local->primary_slot_name;
    auto conninfo = pg::ParseConninfo(local->primary_conninfo);
    if (conninfo.count("host"))
      f.sender = conninfo["host"] + ":" + (conninfo.count("port") ? conninfo["port"] : "5432");
  }
  pg::ConnParams primary = PrimaryAdminParams(cfg);
  primary.connect_timeout = 3;
  if (auto conn = pg::Connection::Open(primary, "primary")) {
    auto r = conn->Exec(
        "SELECT s.active, coalesce(r.state, ''), pg_wal_lsn_diff(pg_current_wal_lsn(), "
        "r.replay_lsn)::bigint, "
        "extract(epoch FROM r.replay_lag)::float8 "
        "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid "
        "WHERE s.slot_name = $1",
        {slot});
    if (r && r->rows() == 1) {
      f.verified = true;
      f.slot_active = r->Get(0, 0) == "t";
      f.walsender_state = r->Get(0, 1);
      if (!r->IsNull(0, 2)) f.replay_lag_bytes = ParseInt64(r->Get(0, 2));
      if (!r->IsNull(0, 3)) f.replay_lag_seconds = ParseDouble(r->Get(0, 3));
    } else if (r) {
      f.verified = true;  // the primary answered: the slot does not exist
      f.slot_active = false;
    }
  }
  // The local WAL receiver streams when the primary shows this host's slot held by a streaming
  // walsender while a standby configured for that slot runs here.
  if (f.in_recovery.value_or(false) && f.slot_active.value_or(false) &&
      f.walsender_state == "streaming" && f.receiver_slot == slot)
    f.receiver_status = "streaming";
  return f;
}

bool StreamsThroughSlot(const ConfirmFacts& f, const std::string& slot) {
  bool local_ok = !f.in_recovery ||
                  (*f.in_recovery && f.receiver_status == "streaming" && f.receiver_slot == slot);
  bool primary_ok = !f.slot_active || (*f.slot_active && f.walsender_state == "streaming" &&
                                       f.replay_lag_bytes.has_value());
  return f.verified && local_ok && primary_ok;
}

nlohmann::json ConfirmFacts::ToJson() const {
  nlohmann::json j = {{"verified", verified},
                      {"receiver_status", receiver_status},
                      {"sender", sender},
                      {"receiver_slot", receiver_slot},
                      {"walsender_state", walsender_state}};
  j["in_recovery"] = in_recovery ? nlohmann::json(*in_recovery) : nlohmann::json();
  j["slot_active"] = slot_active ? nlohmann::json(*slot_active) : nlohmann::json();
  j["replay_lag_bytes"] = replay_lag_bytes ? nlohmann::json(*replay_lag_bytes) : nlohmann::json();
  j["replay_lag_seconds"] =
      replay_lag_seconds ? nlohmann::json(*replay_lag_seconds) : nlohmann::json();
  return j;
}

}  // namespace pgreplica::replica
