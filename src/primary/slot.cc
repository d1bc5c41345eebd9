#include "primary/slot.h"

#include <unistd.h>

#include <cctype>
#include <functional>
#include <thread>

#include <fmt/format.h>

namespace pgreplica::replica {

namespace {
constexpr size_t kMaxSlotName = 63;  // NAMEDATALEN - 1
constexpr const char* kDuplicateObject = "42710";

// 32-bit FNV-1a: stable across builds and machines (std::hash is not).
std::uint32_t Fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

bool HasSqlState(const Error& e, std::string_view state) { return e.sqlstate == state; }
}  // namespace

std::string DefaultSlotName(std::string_view hostname) {
  std::string_view short_name = hostname.substr(0, hostname.find('.'));
  std::string body;
  for (unsigned char c : short_name) {
    char l = static_cast<char>(std::tolower(c));
    body += (std::islower(static_cast<unsigned char>(l)) || std::isdigit(c)) ? l : '_';
  }
  if (body.empty()) body = "host";
  std::string name = "node_" + body + "_slot";
  if (name.size() <= kMaxSlotName) return name;
  // node_<head>_<8 hex of the whole host name>_slot
  std::string hash = fmt::format("{:08x}", Fnv1a(hostname));
  size_t head =
      kMaxSlotName - std::string("node__").size() - hash.size() - std::string("_slot").size();
  return "node_" + body.substr(0, head) + "_" + hash + "_slot";
}

std::string ShortHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string h(buf);
  return h.substr(0, h.find('.'));
}

std::string CloneSlotName(std::string_view slot) {
  return fmt::format("pgreplica_copy_{:08x}", Fnv1a(slot));
}

Result<SlotInfo> ReadSlot(pg::Connection& sql, const std::string& name) {
  auto r = sql.Exec(
      "SELECT slot_type, active, coalesce(active_pid, 0), restart_lsn::text, coalesce(wal_status, "
      "'') "
      "FROM pg_replication_slots WHERE slot_name = $1",
      {name});
  if (!r) return std::unexpected(r.error());
  SlotInfo info;
  if (r->rows() == 0) return info;
  info.exists = true;
  info.slot_type = r->Get(0, 0);
  info.active = r->Get(0, 1) == "t";
  auto pid = r->GetInt(0, 2);
  if (!pid) return std::unexpected(pid.error());
  info.active_pid = *pid;
  if (!r->IsNull(0, 3)) info.restart_lsn = pg::ParseLsn(r->Get(0, 3));
  info.wal_status = r->Get(0, 4);
  return info;
}

Result<bool> CreatePhysicalSlot(pg::Connection& replication, const std::string& name) {
  // The name is validated ([a-z0-9_]) before it gets here; replication
  // commands take no parameters, so it is quoted as an identifier as well.
  auto ident = replication.QuoteIdent(name);
  if (!ident) return std::unexpected(ident.error());
  auto r = replication.ExecSimple(
      fmt::format("CREATE_REPLICATION_SLOT {} PHYSICAL RESERVE_WAL", *ident));
  if (r) return true;
  if (HasSqlState(r.error(), kDuplicateObject)) return false;
  return std::unexpected(
      r.error().Context(fmt::format("could not create replication slot \"{}\"", name)));
}

Status DropSlot(pg::Connection& replication, const std::string& name) {
  auto ident = replication.QuoteIdent(name);
  if (!ident) return std::unexpected(ident.error());
  auto r = replication.ExecSimple(fmt::format("DROP_REPLICATION_SLOT {}", *ident));
  if (r || HasSqlState(r.error(), kUndefinedObject)) return {};
  return std::unexpected(
      r.error().Context(fmt::format("could not drop replication slot \"{}\"", name)));
}

Status EndSlotWalsender(pg::Connection& sql, const std::string& name) {
  auto r = sql.Exec(
      "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
      "WHERE slot_name = $1 AND active_pid IS NOT NULL",
      {name});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<bool> DropSlotRetrying(const SlotDropTry& try_drop, const SlotDropRetry& retry) {
  for (int n = 0;; ++n) {
    auto dropped = try_drop();
    if (dropped || dropped.error().sqlstate != kObjectInUse || n + 1 >= retry.tries) return dropped;
    if (retry.on_held) {
      if (auto ok = retry.on_held(n); !ok) return std::unexpected(ok.error());
    }
    std::this_thread::sleep_for(retry.pause);
  }
}

}  // namespace pgreplica::replica
