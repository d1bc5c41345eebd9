#include "clone/tablespaces.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

namespace {

bool Inside(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir == "/" ? dir : dir + "/");
}

// The copy beside the data directory (<name>.old-*, .failed-*, .decommissioned-*, staging) that
// `path` lies in, or empty: pruning or a failed run would take a tablespace there with it.
std::string InsideACopy(const std::string& path, const Location& data) {
  const std::string around = data.parent.path() == "/" ? "/" : data.parent.path() + "/";
  if (!path.starts_with(around)) return "";
  std::string first = path.substr(around.size());
  first = first.substr(0, first.find('/'));
  return first.starts_with(data.name + ".") ? around + first : "";
}

// One of the primary's tablespaces on its way to this host, for its report items.
struct NewTablespace {
  const PrimaryTablespace& t;
  std::string from;   // its location on the primary, lexically normalised
  bool mapped;        // local.tablespace_mapping names `from`
  std::string local;  // where it goes on this host, as configured
  std::string value;  // the items' value: "name (local)"
  std::string hint;   // the fix of most failures: map it elsewhere
};

// Resolves where `n` goes and refuses a place that overlaps another: a copy beside the data
// directory (pruning would take the tablespace with it), the data directory, another
// tablespace's directory; or one that cannot be moved aside at the swap. The place is added to
// `targets` before that last check. nullopt when a failure was reported.
std::optional<Location> PlaceNewTablespace(const NewTablespace& n, const proc::OsUser& user,
                                           const LocalLayout& layout,
                                           std::set<std::string>& targets, CheckReport& report) {
  const std::string& data = layout.data.real;
  auto fail = [&](std::string message, std::string fix) {
    report.Add(CheckItem::Fail("tablespace", n.value, std::move(message), std::move(fix)));
    return std::nullopt;
  };
  auto inside_a_copy = [&](const std::string& path) {
    std::string copy = InsideACopy(path, layout.data);
    if (!copy.empty())
      fail(fmt::format("tablespace \"{}\" would go to \"{}\", inside \"{}\", a copy "
                       "that pgreplica keeps or removes beside the data directory",
                       n.t.name, path, copy),
           n.hint);
    return !copy.empty();
  };
  if (inside_a_copy(LexicalPath(n.local))) return std::nullopt;
  // A path the primary reports is the primary's choice, not root's: see Origin.
  auto loc = ResolveLocation(n.local, {.configured = n.mapped, .os_user = user.uid});
  if (!loc) {
    return fail(fmt::format("tablespace \"{}\" cannot go to \"{}\": {}", n.t.name, n.local,
                            loc.error().message),
                loc.error().hint.empty() ? n.hint : loc.error().hint);
  }
  if (Inside(loc->real, data) || Inside(data, loc->real)) {
    return fail(fmt::format("tablespace \"{}\" would go to \"{}\", which overlaps the data "
                            "directory \"{}\"",
                            n.t.name, loc->real, data),
                n.hint);
  }
  if (inside_a_copy(loc->real)) return std::nullopt;
  std::string overlap;
  for (const auto& other : targets)
    if (Inside(loc->real, other) || Inside(other, loc->real)) overlap = other;
  for (const auto& o : layout.old_tablespaces)
    if (o.location.real != loc->real &&
        (Inside(loc->real, o.location.real) || Inside(o.location.real, loc->real)))
      overlap = o.location.real;
  if (!overlap.empty()) {
    return fail(fmt::format("tablespace \"{}\" would go to \"{}\", which overlaps the "
                            "tablespace directory \"{}\"",
                            n.t.name, loc->real, overlap),
                "Give each tablespace a directory of its own, beside the others, not inside "
                "one.");
  }
  targets.insert(loc->real);
  if (auto why = WhyUnmovable(*loc, user)) {
    return fail(fmt::format("tablespace \"{}\" cannot go there: {}", n.t.name, *why),
                loc->mount_point ? fmt::format("Use a subdirectory of the mounted filesystem: "
                                               "local.tablespace_mapping: [\"{}={}/{}\"]. See "
                                               "\"Layouts\" in docs/clone.md.",
                                               n.from, loc->real, n.t.name)
                                 : n.hint);
  }
  return std::move(*loc);
}

// What is at the tablespace's place now, as a sentence for its ok item: nothing, an empty
// directory, or the existing standby's own tablespace. Anything else is refused (reported):
// nullopt.
std::optional<std::string> WhatIsThere(const NewTablespace& n, const Location& loc,
                                       const LocalLayout& layout, CheckReport& report) {
  if (!loc.exists()) return "does not exist yet: the copy goes there";
  bool ours = false;
  for (const auto& o : layout.old_tablespaces)
    ours |= o.location.st->st_dev == loc.st->st_dev && o.location.st->st_ino == loc.st->st_ino;
  auto dir = loc.Open();
  auto empty = dir ? dir->IsEmpty() : Result<bool>(std::unexpected(dir.error()));
  if (ours) return "holds the existing standby's tablespace, which is moved aside at the swap";
  if (empty && *empty)
    return "empty: the copy goes there (the empty directory is moved aside at the swap)";
  // The existing standby may keep this tablespace elsewhere (a mapping forgotten on a
  // re-clone): say where.
  std::string hint = n.hint;
  for (const auto& o : layout.old_tablespaces) {
    if (o.link.oid == n.t.oid)
      hint = fmt::format(
          "The existing standby keeps this tablespace in \"{0}\": map it there with "
          "local.tablespace_mapping: [\"{1}={0}\"] (or --tablespace-mapping {1}={0}).",
          o.location.configured, n.from);
  }
  report.Add(CheckItem::Fail(
      "tablespace", n.value,
      fmt::format("tablespace \"{}\" would go to \"{}\", which is not empty and is not a "
                  "tablespace of the standby in \"{}\" (is it the primary's own, on this "
                  "host?)",
                  n.t.name, loc.real, layout.data.real),
      hint));
  return std::nullopt;
}

}  // namespace

Result<std::vector<PrimaryTablespace>> ListPrimaryTablespaces(pg::Connection& sql) {
  auto r = sql.Exec(
      "SELECT oid::text, spcname, coalesce(pg_tablespace_location(oid), ''), "
      "pg_tablespace_size(oid)::bigint FROM pg_tablespace "
      "WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid");
  if (!r) return std::unexpected(r.error());
  std::vector<PrimaryTablespace> out;
  for (int i = 0; i < r->rows(); ++i) {
    PrimaryTablespace t{r->Get(i, 0), r->Get(i, 1), r->Get(i, 2), 0};
    std::string size = r->Get(i, 3);
    std::from_chars(size.data(), size.data() + size.size(), t.size_bytes);
    out.push_back(std::move(t));
  }
  return out;
}

void JudgeOldTablespaces(const DataDirState& local, const proc::OsUser& user,
                         const std::vector<FileId>& shared, LocalLayout& layout,
                         CheckReport& report) {
  for (const auto& link : local.tablespaces) {
    std::string value = fmt::format("pg_tblspc/{} -> {}", link.oid, link.target);
    struct stat st {};
    if (link.target.starts_with('/') && stat(link.target.c_str(), &st) == 0 &&
        std::ranges::find(shared, FileId::Of(st)) != shared.end()) {
      report.Add(CheckItem::Warn(
          "tablespace", value,
          "the existing standby shares this tablespace directory with another server "
          "running on this host (the primary?); it is left where it is, not moved "
          "with the old standby",
          "Map the tablespace to a directory of the standby's own "
          "(local.tablespace_mapping): two servers must never share one."));
      continue;
    }
    auto loc = ResolveOldTablespace(link, user);
    if (!loc) {
      report.Add(CheckItem::Fail(
          "tablespace", value, "the existing standby's " + loc.error().message, loc.error().hint));
      continue;
    }
    report.Add(CheckItem::Ok(
        "tablespace", value,
        fmt::format("a tablespace of the existing standby; it is moved to {} with the "
                    "data directory at the swap",
                    loc->SiblingPath(std::string(kOldInfix) + layout.stamp))));
    layout.old_tablespaces.push_back({link, std::move(*loc)});
  }
}

void JudgeNewTablespaces(const std::vector<PrimaryTablespace>& primary,
                         const std::map<std::string, std::string>& mapping,
                         const proc::OsUser& user, LocalLayout& layout, CheckReport& report,
                         nlohmann::json& plan) {
  std::set<std::string> used_mappings, targets;
  for (const auto& t : primary) {
    if (!t.location.starts_with('/')) {
      plan.push_back({{"oid", t.oid}, {"name", t.name}, {"in_place", true}});
      continue;  // in place: inside the data directory, copied with it
    }
    std::string from = LexicalPath(t.location);
    auto m = mapping.find(from);
    bool mapped = m != mapping.end();
    if (mapped) used_mappings.insert(from);
    std::string local = mapped ? m->second : from;
    NewTablespace n{t,
                    from,
                    mapped,
                    local,
                    fmt::format("{} ({})", t.name, local),
                    fmt::format("Map it to a location of its own on this host: "
                                "local.tablespace_mapping: [\"{}=/NEW/PATH\"] "
                                "(or --tablespace-mapping {}=/NEW/PATH).",
                                from, from)};
    auto loc = PlaceNewTablespace(n, user, layout, targets, report);
    if (!loc) continue;
    auto what = WhatIsThere(n, *loc, layout, report);
    if (!what) continue;
    std::string staging = loc->SiblingPath(kStagingSuffix);
    auto leftover = loc->parent.Stat(loc->Sibling(kStagingSuffix));
    if (leftover && *leftover)
      *what += "; a staging directory left by an interrupted run is removed";
    report.Add(
        CheckItem::Ok("tablespace", n.value,
                      fmt::format("tablespace \"{}\" ({} on the primary) is copied to {}; {}",
                                  t.name, from, staging, *what)));
    plan.push_back({{"oid", t.oid},
                    {"name", t.name},
                    {"primary_location", from},
                    {"location", loc->configured},
                    {"real", loc->real},
                    {"staging", staging},
                    {"size_bytes", t.size_bytes}});
    layout.tablespaces.push_back({t.oid, t.name, from, t.size_bytes, mapped, std::move(*loc)});
  }
  for (const auto& [from, to] : mapping) {
    if (used_mappings.count(from)) continue;
    report.Add(
        CheckItem::Warn("tablespace", fmt::format("{}={}", from, to),
                        fmt::format("no tablespace of the primary is at \"{}\"; this mapping is "
                                    "not used",
                                    from),
                        "Remove it from local.tablespace_mapping, or correct the primary's path."));
  }
}

}  // namespace pgreplica::replica
