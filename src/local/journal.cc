#include "local/journal.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "common/fs.h"
#include "local/datadir.h"
#include "local/layout.h"
#include "local/state.h"

namespace pgreplica::replica {

namespace {

nlohmann::json Links(const std::vector<TablespaceLink>& links) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : links) out.push_back({{"oid", l.oid}, {"target", l.target}});
  return out;
}

std::vector<TablespaceLink> LinksFrom(const nlohmann::json& j) {
  std::vector<TablespaceLink> out;
  for (const auto& l : j)
    out.push_back({l.at("oid").get<std::string>(), l.at("target").get<std::string>()});
  return out;
}

// One directory the swap renames: its parent (opened root-safe) and its name.
struct Place {
  std::string real;
  Dir parent;
  std::string name;
  bool Has(const std::string& n) const {
    auto st = parent.Stat(n);
    return st && *st;
  }
};

Result<Place> PlaceOf(const std::string& real) {
  auto parent = Dir::Open(DirName(real));
  if (!parent) return std::unexpected(parent.error());
  return Place{real, std::move(*parent), BaseName(real)};
}

}  // namespace

nlohmann::json SwapJournal::ToJson() const {
  return {{"data_real", data_real},
          {"stamp", stamp},
          {"tablespaces", tablespaces},
          {"old_links", Links(old_links)},
          {"new_tablespaces", Links(new_tablespaces)}};
}

Result<SwapJournal> SwapJournal::FromJson(const nlohmann::json& j) {
  try {
    SwapJournal s;
    s.data_real = j.at("data_real").get<std::string>();
    s.stamp = j.at("stamp").get<std::string>();
    s.tablespaces = j.at("tablespaces").get<std::vector<std::string>>();
    s.old_links = LinksFrom(j.at("old_links"));
    s.new_tablespaces = LinksFrom(j.at("new_tablespaces"));
    if (!s.data_real.starts_with('/') || s.stamp.empty() || s.stamp.find('/') != std::string::npos)
      return Fail(ErrorKind::kFileAccess, "swap journal is damaged", "It names no valid paths.");
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kFileAccess, "swap journal is damaged", e.what());
  }
}

Result<JournalFile> JournalFile::Open(const std::string& state_directory,
                                      const std::string& data_real, bool create) {
  auto dir = OpenStateDir(state_directory, "swaps", create);
  if (!dir) return std::unexpected(dir.error());
  return JournalFile(std::move(*dir), StateKey(data_real) + ".json");
}

Status JournalFile::Write(const SwapJournal& journal) const {
  return dir_.WriteFileAtomic(name_, journal.ToJson().dump(2) + "\n", 0600, std::nullopt);
}

Result<std::optional<SwapJournal>> JournalFile::Read() const {
  auto st = dir_.Stat(name_);
  if (!st) return std::unexpected(st.error());
  if (!*st) return std::optional<SwapJournal>{};
  auto text = dir_.ReadFile(name_, 1 << 20);
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded())
    return Fail(ErrorKind::kFileAccess, fmt::format("swap journal \"{}\" is damaged", path()));
  auto journal = SwapJournal::FromJson(j);
  if (!journal) return std::unexpected(journal.error().Context(path()));
  return std::optional<SwapJournal>(std::move(*journal));
}

Status JournalFile::Remove() const {
  if (unlinkat(dir_.fd(), name_.c_str(), 0) != 0 && errno != ENOENT)
    return std::unexpected(ErrnoError(errno, fmt::format("could not remove \"{}\"", path())));
  return dir_.Sync();
}

namespace {

// What RecoverSwap has done so far, one sentence each, and the names the swap used.
struct Recovery {
  std::string old_sfx;     // .old-<stamp>
  std::string failed_sfx;  // .failed-<stamp>
  std::vector<std::string> done;

  // `e` as the error of the recovery, with what was done before it.
  std::unexpected<Error> Failed(const Error& e) const {
    Error out = e.Context("could not put back the interrupted swap");
    std::string so_far;
    for (const auto& d : done) so_far += " " + d + ".";
    out.detail = "Done so far:" + (so_far.empty() ? std::string(" nothing.") : so_far);
    out.hint = fmt::format("Put the directories named *{} back by hand.", old_sfx);
    return std::unexpected(out);
  }

  // A copy already moved in, next to an old directory moved aside, goes to .failed-<stamp>.
  Status SetAside(Place& p) {
    if (!p.Has(p.name) || !p.Has(p.name + old_sfx)) return {};
    if (auto ok = p.parent.Rename(p.name, p.name + failed_sfx); !ok) return ok;
    done.push_back(fmt::format("moved the new copy \"{}\" to \"{}\"", p.real,
                               p.parent.PathOf(p.name + failed_sfx)));
    return p.parent.Sync();
  }

  // An old directory moved aside comes back, unless something is in its place.
  Status PutBack(Place& p) {
    if (!p.Has(p.name + old_sfx) || p.Has(p.name)) return {};
    if (auto ok = p.parent.Rename(p.name + old_sfx, p.name); !ok) return ok;
    done.push_back(fmt::format("put \"{}\" back", p.real));
    return p.parent.Sync();
  }
};

// Moves the new copies out of the way: the data directory's and its tablespaces' to
// .failed-<stamp>, except tablespace copies moved in before the data directory was, which go
// back to staging. `failed_ts` receives the tablespaces whose copy went to .failed-<stamp>.
Status MoveNewCopiesOut(Recovery& r, Place& data, std::vector<Place>& ts,
                        std::vector<std::string>& failed_ts) {
  // Tablespace copies moved in before the data directory was: without their data directory
  // they are no copy to study; they go back to staging, which the next run removes.
  const bool data_moved_in = data.Has(data.name) && data.Has(data.name + r.old_sfx);
  for (auto& p : ts) {
    bool moved_in = p.Has(p.name) && p.Has(p.name + r.old_sfx);
    if (moved_in && !data_moved_in && !p.Has(p.name + std::string(kStagingSuffix))) {
      if (auto ok = p.parent.Rename(p.name, p.name + std::string(kStagingSuffix)); !ok) return ok;
      r.done.push_back(fmt::format("moved the new tablespace copy \"{}\" back to staging", p.real));
      continue;
    }
    if (auto ok = r.SetAside(p); !ok) return ok;
    if (moved_in) failed_ts.push_back(p.real);
  }
  return r.SetAside(data);
}

// The old data directory's tablespace links as they were; the failed copy's pointed at its
// own tablespaces (best effort), not at the old ones.
Status RestoreLinks(const SwapJournal& j, const Recovery& r, const Place& data,
                    const std::vector<std::string>& failed_ts, const Owner& owner) {
  if (!j.old_links.empty() && data.Has(data.name)) {
    auto dir = data.parent.OpenDir(data.name);
    if (!dir) return std::unexpected(dir.error());
    if (auto ok = Relink(*dir, j.old_links, owner); !ok) return ok;
  }
  if (!failed_ts.empty() && data.Has(data.name + r.failed_sfx)) {
    std::vector<TablespaceLink> links;
    for (const auto& t : j.new_tablespaces) {
      if (std::ranges::find(failed_ts, t.target) != failed_ts.end())
        links.push_back({t.oid, t.target + r.failed_sfx});
    }
    if (auto dir = data.parent.OpenDir(data.name + r.failed_sfx)) (void)Relink(*dir, links, owner);
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> RecoverSwap(const SwapJournal& j, const proc::OsUser& os_user) {
  if (int pid = RunningPostmaster(j.data_real); pid != 0) {
    return std::vector<std::string>{
        fmt::format("a server (pid {}) runs in \"{}\": the interrupted swap had "
                    "completed",
                    pid, j.data_real)};
  }
  Recovery r{std::string(kOldInfix) + j.stamp, std::string(kFailedInfix) + j.stamp, {}};
  auto data = PlaceOf(j.data_real);
  if (!data) return std::unexpected(data.error());
  std::vector<Place> ts;
  for (const auto& t : j.tablespaces) {
    auto p = PlaceOf(t);
    if (!p) return std::unexpected(p.error());
    ts.push_back(std::move(*p));
  }
  std::vector<std::string> failed_ts;
  if (auto ok = MoveNewCopiesOut(r, *data, ts, failed_ts); !ok) return r.Failed(ok.error());
  // The old directories come back.
  if (auto ok = r.PutBack(*data); !ok) return r.Failed(ok.error());
  for (auto& p : ts) {
    if (auto ok = r.PutBack(p); !ok) return r.Failed(ok.error());
  }
  if (auto ok = RestoreLinks(j, r, *data, failed_ts, Owner{os_user.uid, os_user.gid}); !ok)
    return r.Failed(ok.error());
  if (data->Has(data->name))
    r.done.push_back(
        fmt::format("the old standby is back in \"{}\"; it was not started", j.data_real));
  return r.done;
}

Result<std::vector<std::string>> RecoverInterruptedSwap(const std::string& state_directory,
                                                        const std::string& data_real,
                                                        const proc::OsUser& os_user, bool dry_run) {
  auto file = JournalFile::Open(state_directory, data_real, /*create=*/false);
  if (!file) {
    if (file.error().kind == ErrorKind::kNotFound) return std::vector<std::string>{};
    return std::unexpected(file.error());
  }
  auto journal = file->Read();
  if (!journal) return std::unexpected(journal.error());
  if (!*journal) return std::vector<std::string>{};
  if (dry_run) {
    return std::vector<std::string>{
        fmt::format("a swap of \"{}\" was interrupted ({}); a real run puts the old standby "
                    "back first (journal {})",
                    data_real, (*journal)->stamp, file->path())};
  }
  auto done = RecoverSwap(**journal, os_user);
  if (!done) return std::unexpected(done.error());
  if (auto ok = file->Remove(); !ok) return std::unexpected(ok.error());
  return done;
}

}  // namespace pgreplica::replica
