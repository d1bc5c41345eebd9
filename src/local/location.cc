#include "local/location.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

bool IsMountPoint(const Dir& parent, std::string_view name, const struct stat& st) {
  if (st.st_dev != parent.status().st_dev) return true;
  struct statx sx {};
  if (statx(parent.fd(), std::string(name).c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) ==
          0 &&
      (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
    return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  return false;
}

namespace {

// The entry a location names: the directory that holds it (opened root-safe), its name in
// there, and its lstat (nullopt when it does not exist).
struct Entry {
  Dir parent;
  std::string name;
  std::optional<struct stat> st;
};

// The parent directory of `lexical`, which must exist.
Result<Dir> OpenParentOf(const std::string& lexical) {
  auto parent = Dir::Open(DirName(lexical));
  if (!parent) {
    Error e = parent.error();
    e.message =
        fmt::format("the parent directory of \"{}\" cannot be used: {}", lexical, e.message);
    if (e.hint.empty())
      e.hint = fmt::format("Create {} (owned by the PostgreSQL OS user) first.", DirName(lexical));
    return std::unexpected(e);
  }
  return parent;
}

// The user's layout: the configured path `lexical` is a link (written `link_target`, found in
// `parent`) to the real directory. Followed once, wherever it is; its target's own path is
// then opened root-safe. The target must be an existing directory, not another link.
Result<Entry> FollowLocationLink(const Dir& parent, const std::string& lexical,
                                 const std::string& link_target) {
  std::string abs =
      LexicalPath(link_target.starts_with('/') ? link_target : parent.PathOf(link_target));
  auto tparent = Dir::Open(DirName(abs));
  if (!tparent || BaseName(abs) == ".." || abs == "/") {
    return Fail(ErrorKind::kFileAccess,
                fmt::format("\"{}\" is a symbolic link to \"{}\", which cannot be used", lexical,
                            link_target),
                tparent ? "" : tparent.error().message + ". " + tparent.error().detail,
                "Point the link at an existing directory owned by the PostgreSQL OS user.");
  }
  std::string tname = BaseName(abs);
  auto tst = tparent->Stat(tname);
  if (!tst) return std::unexpected(tst.error());
  if (!*tst || !S_ISDIR((*tst)->st_mode)) {
    return Fail(ErrorKind::kFileAccess,
                fmt::format("\"{}\" is a symbolic link to \"{}\", which {}", lexical, link_target,
                            !*tst                      ? "does not exist"
                            : S_ISLNK((*tst)->st_mode) ? "is another symbolic link"
                                                       : "is not a directory"),
                "A data directory may be a symbolic link to a directory, and only one link deep.",
                !*tst ? fmt::format("Create the directory \"{}\" (owned by the PostgreSQL OS "
                                    "user), or configure the real path.",
                                    abs)
                      : fmt::format("Point \"{}\" straight at the real directory, or configure "
                                    "the real directory's path.",
                                    lexical));
  }
  return Entry{std::move(*tparent), tname, *tst};
}

// As root, a location that root did not choose (see Origin) must be in a directory of the OS
// user.
Status CheckChosenPlace(const Entry& e, const Origin& origin, bool chosen_by_root,
                        const std::string& lexical, const std::string& link_target) {
  if (chosen_by_root || geteuid() != 0 || e.parent.status().st_uid == origin.os_user) return {};
  return Fail(ErrorKind::kInsecureFile,
              fmt::format("\"{}\" is in \"{}\", which belongs to {}", e.parent.PathOf(e.name),
                          e.parent.path(), UserLabel(e.parent.status().st_uid)),
              fmt::format("The location {}, so pgreplica, running as root, creates, renames and "
                          "removes directories only where the PostgreSQL OS user could itself.",
                          link_target.empty() ? "was not named by root's configuration"
                                              : "is the target of a link that root does not own"),
              link_target.empty()
                  ? "Map it to a location in a directory of the PostgreSQL OS user "
                    "(local.tablespace_mapping), or give that directory to the OS user."
                  : fmt::format("Configure the real path \"{}\" instead of the link, or let root "
                                "own the link (chown -h root \"{}\").",
                                e.parent.PathOf(e.name), lexical));
}

}  // namespace

Result<Location> ResolveLocation(const std::string& configured, const Origin& origin) {
  if (configured.empty() || configured[0] != '/')
    return Fail(ErrorKind::kConfigInvalid,
                fmt::format("directory \"{}\" is not an absolute path", configured));
  std::string lexical = LexicalPath(configured);
  if (lexical == "/")
    return Fail(ErrorKind::kConfigInvalid, "the root directory \"/\" cannot be a data directory",
                "", "Set local.data_directory to the standby's own data directory.");
  auto parent = OpenParentOf(lexical);
  if (!parent) return std::unexpected(parent.error());
  std::string name = BaseName(lexical);
  if (name == "..")
    return Fail(ErrorKind::kConfigInvalid,
                fmt::format("directory \"{}\" must not end in \"..\"", configured), "",
                "Spell out the directory's name.");
  auto st = parent->Stat(name);
  if (!st) return std::unexpected(st.error());
  Entry entry{std::move(*parent), name, *st};
  std::string link_target;
  bool chosen_by_root = origin.configured;
  if (entry.st && S_ISLNK(entry.st->st_mode)) {
    // A link that root did not make may lead anywhere its owner likes.
    chosen_by_root = chosen_by_root && entry.st->st_uid == 0;
    auto target = entry.parent.ReadLink(name);
    if (!target) return std::unexpected(target.error());
    link_target = *target;
    auto followed = FollowLocationLink(entry.parent, lexical, link_target);
    if (!followed) return std::unexpected(followed.error());
    entry = std::move(*followed);
  } else if (entry.st && !S_ISDIR(entry.st->st_mode)) {
    return Fail(ErrorKind::kFileAccess,
                fmt::format("\"{}\" exists but is not a directory", entry.parent.PathOf(name)), "",
                "Point local.data_directory at a directory.");
  }
  if (auto ok = CheckChosenPlace(entry, origin, chosen_by_root, lexical, link_target); !ok)
    return std::unexpected(ok.error());
  Location loc{.configured = lexical,
               .link_target = link_target,
               .real = entry.parent.PathOf(entry.name),
               .name = entry.name,
               .parent = std::move(entry.parent),
               .st = entry.st,
               .mount_point = false};
  if (loc.st) loc.mount_point = IsMountPoint(loc.parent, loc.name, *loc.st);
  return loc;
}

Result<std::vector<TablespaceLink>> ReadTablespaceLinks(const Dir& data_directory) {
  std::vector<TablespaceLink> out;
  auto st = data_directory.Stat("pg_tblspc");
  if (!st) return std::unexpected(st.error());
  if (!*st) return out;
  auto dir = data_directory.OpenDir("pg_tblspc");
  if (!dir) return std::unexpected(dir.error());
  auto names = dir->List();
  if (!names) return std::unexpected(names.error());
  for (const auto& n : *names) {
    auto est = dir->Stat(n);
    if (!est || !*est || !S_ISLNK((*est)->st_mode)) continue;
    auto target = dir->ReadLink(n);
    if (!target) return std::unexpected(target.error());
    out.push_back({n, *target});
  }
  std::sort(out.begin(), out.end(),
            [](const TablespaceLink& a, const TablespaceLink& b) { return a.oid < b.oid; });
  return out;
}

Result<std::vector<std::string>> SiblingsWithInfix(const Location& location,
                                                   std::string_view infix) {
  auto names = location.parent.List();
  if (!names) return std::unexpected(names.error());
  std::vector<std::string> out;
  std::string prefix = location.Sibling(infix);
  for (const auto& n : *names) {
    if (!n.starts_with(prefix) || n.size() == prefix.size()) continue;
    auto st = location.parent.Stat(n);
    if (st && *st && S_ISDIR((*st)->st_mode)) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pgreplica::replica
