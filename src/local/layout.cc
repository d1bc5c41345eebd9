#include "local/layout.h"

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "common/fs.h"
#include "proc/child.h"

namespace pgreplica::replica {

Result<std::map<std::string, std::string>> ParseTablespaceMapping(
    const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  std::set<std::string> targets;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    std::string from = eq == std::string::npos ? "" : LexicalPath(e.substr(0, eq));
    std::string to = eq == std::string::npos ? "" : LexicalPath(e.substr(eq + 1));
    if (eq == std::string::npos || e.find('=', eq + 1) != std::string::npos ||
        !from.starts_with('/') || !to.starts_with('/') || from == "/" || to == "/") {
      return Fail(ErrorKind::kConfigInvalid, fmt::format("invalid tablespace mapping \"{}\"", e),
                  "Each entry of local.tablespace_mapping has the form OLDDIR=NEWDIR: the "
                  "tablespace's location on the primary, \"=\", and its location on this host, "
                  "both absolute paths without \"=\".",
                  "For example: local.tablespace_mapping: [\"/srv/ts1=/srv/standby/ts1\"]");
    }
    if (!out.emplace(from, to).second)
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("tablespace location \"{}\" is mapped twice in "
                              "local.tablespace_mapping",
                              from),
                  "", "Keep one entry for each of the primary's tablespace locations.");
    if (!targets.insert(to).second)
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("two tablespaces are mapped to \"{}\"", to), "",
                  "Give each tablespace its own location on this host.");
  }
  return out;
}

Status Relink(const Dir& data_directory, const std::vector<TablespaceLink>& links,
              std::optional<Owner> owner) {
  if (links.empty()) return {};
  auto dir = data_directory.OpenDir("pg_tblspc");
  if (!dir) return std::unexpected(dir.error());
  for (const auto& l : links) {
    if (auto ok = dir->ReplaceSymlink(l.oid, l.target, owner); !ok) return ok;
  }
  return dir->Sync();
}

std::vector<std::string> RemoveEmptyMoved(const Location& data, const MovedAside& m) {
  std::vector<std::string> removed;
  auto remove = [&](const Location& l) {
    auto gone = l.parent.RemoveEmptyDir(l.Sibling(m.suffix));
    if (gone && *gone) removed.push_back(l.SiblingPath(m.suffix));
  };
  if (m.data_moved) remove(data);
  for (const Location* t : m.tablespaces) remove(*t);
  return removed;
}

Status RemoveAsOsUser(const Dir& parent, const std::string& name, const proc::OsUser& owner) {
  auto st = parent.Stat(name);
  if (!st) return std::unexpected(st.error());
  if (!*st) return {};
  const std::string path = parent.PathOf(name);
  if ((*st)->st_uid != owner.uid) {
    return Fail(ErrorKind::kInsecureFile,
                fmt::format("\"{}\" was not removed: it belongs to {}, not to \"{}\"", path,
                            UserLabel((*st)->st_uid), owner.name),
                "pgreplica removes only the copies it made, which belong to the OS user.",
                "Find out who put it there; remove it by hand if it is not needed.");
  }
  if (!S_ISDIR((*st)->st_mode)) {  // a file or a link of the OS user: the name goes
    if (unlinkat(parent.fd(), name.c_str(), 0) != 0 && errno != ENOENT)
      return std::unexpected(ErrnoError(errno, fmt::format("could not remove \"{}\"", path)));
    return {};
  }
  if (HasMountBelow(path) || IsMountPoint(parent, name, **st)) {
    return Fail(ErrorKind::kFileAccess,
                fmt::format("\"{}\" was not removed: a filesystem is mounted in it", path),
                "Removing it would delete what is mounted there (a bind mount is on the same "
                "filesystem, so --one-file-system would not stop at it).",
                "Unmount it, then remove the directory by hand.");
  }
  std::string output;
  if (geteuid() == 0 && owner.uid != 0) {
    auto r = proc::Run(
        {.argv = {"rm", "-rf", "--one-file-system", "--", path}, .run_as = owner, .cwd = "/"},
        {.timeout = std::chrono::hours(1)});
    if (!r) return std::unexpected(r.error());
    output = r->output;
  } else if (auto ok = parent.RemoveTree(name); !ok) {
    return ok;
  }
  // The OS user cannot remove the emptied directory itself from a parent of root's.
  (void)parent.RemoveEmptyDir(name);
  auto left = parent.Stat(name);
  if (left && !*left) return {};
  return Fail(ErrorKind::kFileAccess, fmt::format("could not remove all of \"{}\"", path),
              output.empty() ? "Some of it could not be removed as the OS user." : output,
              "Remove what is left by hand.");
}

std::vector<std::string> PruneOldCopies(const Location& data, int keep, const proc::OsUser& owner,
                                        const std::vector<std::string>& trusted_parents,
                                        std::vector<std::string>* problems) {
  std::vector<std::string> removed;
  auto note = [&](const std::string& what, const Error& e) {
    if (problems) problems->push_back(fmt::format("{}: {}", what, e.message));
  };
  auto old = SiblingsWithInfix(data, kOldInfix);
  if (!old) {
    note(data.parent.path(), old.error());
    return removed;
  }
  const std::string prefix = data.Sibling(kOldInfix);
  while (static_cast<int>(old->size()) > keep) {
    std::string name = old->front();
    old->erase(old->begin());
    std::string suffix = std::string(kOldInfix) + name.substr(prefix.size());
    // Its tablespace directories first: they are found through its own links.
    if (auto dir = data.parent.OpenDir(name)) {
      if (auto links = ReadTablespaceLinks(*dir)) {
        for (const auto& l : *links) {
          std::string target = LexicalPath(l.target);
          if (!target.starts_with('/') || !target.ends_with(suffix)) continue;
          auto parent = Dir::Open(DirName(target));
          if (!parent) continue;
          // The link is the OS user's to point anywhere: only where that user could remove
          // the directory itself.
          bool trusted = std::find(trusted_parents.begin(), trusted_parents.end(),
                                   parent->path()) != trusted_parents.end();
          if (geteuid() == 0 && parent->status().st_uid != owner.uid && !trusted) {
            note(target, Error{ErrorKind::kInsecureFile,
                               fmt::format("not removed: \"{}\" belongs to {}", parent->path(),
                                           UserLabel(parent->status().st_uid)),
                               "", ""});
            continue;
          }
          if (auto ok = RemoveAsOsUser(*parent, BaseName(target), owner); ok)
            removed.push_back(target);
          else
            note(target, ok.error());
        }
      }
    }
    if (auto ok = RemoveAsOsUser(data.parent, name, owner); ok)
      removed.push_back(data.parent.PathOf(name));
    else
      note(data.parent.PathOf(name), ok.error());
  }
  return removed;
}

Status RemoveStaging(const LocalLayout& layout, const proc::OsUser& owner) {
  Status first = RemoveAsOsUser(layout.data.parent, layout.data.Sibling(kStagingSuffix), owner);
  for (const auto& t : layout.tablespaces) {
    auto ok = RemoveAsOsUser(t.local.parent, t.local.Sibling(kStagingSuffix), owner);
    if (!ok && first) first = ok;
  }
  return first;
}

namespace {

// The links of `data_directory` that point at one of `moved` (compared by device and inode,
// so that any spelling of the path matches), each with the target it gets once the locations
// are renamed to <name><suffix>. Read before the renames.
Result<std::vector<std::pair<TablespaceLink, std::string>>> LinksToMove(
    const Dir& data_directory, const std::vector<const Location*>& moved, std::string_view suffix) {
  auto links = ReadTablespaceLinks(data_directory);
  if (!links) return std::unexpected(links.error());
  std::vector<std::pair<TablespaceLink, std::string>> out;
  for (const auto& l : *links) {
    if (!l.target.starts_with('/')) continue;
    auto target = ResolveLocation(l.target);
    if (!target || !target->st) continue;
    for (const Location* loc : moved) {
      if (loc->st && loc->st->st_dev == target->st->st_dev &&
          loc->st->st_ino == target->st->st_ino) {
        out.push_back({l, loc->SiblingPath(suffix)});
        break;
      }
    }
  }
  return out;
}

}  // namespace

Result<MovedAside> MoveTogether(const Location& data,
                                const std::vector<const Location*>& tablespaces,
                                std::string_view suffix, std::optional<Owner> link_owner) {
  MovedAside m;
  m.suffix = std::string(suffix);
  auto undo = [&](const Error& why) -> std::unexpected<Error> {
    Error e = why;
    if (auto back = MoveBack(data, m, link_owner); !back)
      e.detail += fmt::format(" Putting back what was moved failed too: {}.", back.error().message);
    return std::unexpected(e);
  };
  std::vector<std::pair<TablespaceLink, std::string>> relink;
  if (data.exists() && !tablespaces.empty()) {
    auto dir = data.Open();
    if (!dir) return std::unexpected(dir.error());
    auto links = LinksToMove(*dir, tablespaces, suffix);
    if (!links) return std::unexpected(links.error());
    relink = std::move(*links);
  }
  if (data.exists()) {
    if (auto ok = data.parent.Rename(data.name, data.Sibling(suffix)); !ok) return undo(ok.error());
    m.data_moved = true;
  }
  for (const Location* t : tablespaces) {
    if (!t->exists()) continue;
    if (auto ok = t->parent.Rename(t->name, t->Sibling(suffix)); !ok) return undo(ok.error());
    m.tablespaces.push_back(t);
  }
  if (auto ok = data.parent.Sync(); !ok) return undo(ok.error());
  for (const Location* t : m.tablespaces) {
    if (auto ok = t->parent.Sync(); !ok) return undo(ok.error());
  }
  if (m.data_moved && !relink.empty()) {
    auto moved_dir = data.parent.OpenDir(data.Sibling(suffix));
    if (!moved_dir) return undo(moved_dir.error());
    std::vector<TablespaceLink> targets;
    for (const auto& [link, target] : relink) {
      m.relinked.push_back(link);
      targets.push_back({link.oid, target});
    }
    if (auto ok = Relink(*moved_dir, targets, link_owner); !ok) return undo(ok.error());
  }
  return m;
}

Status MoveBack(const Location& data, const MovedAside& m, std::optional<Owner> link_owner) {
  Status first;
  auto note = [&](Status s) {
    if (!s && first) first = s;
  };
  if (m.data_moved && !m.relinked.empty()) {
    auto moved_dir = data.parent.OpenDir(data.Sibling(m.suffix));
    if (!moved_dir)
      note(std::unexpected(moved_dir.error()));
    else
      note(Relink(*moved_dir, m.relinked, link_owner));
  }
  for (auto it = m.tablespaces.rbegin(); it != m.tablespaces.rend(); ++it) {
    note((*it)->parent.Rename((*it)->Sibling(m.suffix), (*it)->name));
    note((*it)->parent.Sync());
  }
  if (m.data_moved) {
    note(data.parent.Rename(data.Sibling(m.suffix), data.name));
    note(data.parent.Sync());
  }
  return first;
}

}  // namespace pgreplica::replica
