#include "local/tablespaces.h"

#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>

namespace pgreplica::replica {

// A location on this host that pgreplica may rename: a directory of the OS user (or missing),
// never a mount point. The reason when it is not.
std::optional<std::string> WhyUnmovable(const Location& l, const proc::OsUser& user) {
  if (!l.exists()) return std::nullopt;
  if (l.mount_point)
    return fmt::format("\"{}\" is the root of a mounted filesystem, which cannot be renamed",
                       l.real);
  if (l.st->st_uid != user.uid)
    return fmt::format("\"{}\" belongs to {}, not to \"{}\"", l.real, UserLabel(l.st->st_uid),
                       user.name);
  return std::nullopt;
}

Result<Location> ResolveOldTablespace(const TablespaceLink& link, const proc::OsUser& user) {
  std::string value = fmt::format("pg_tblspc/{} -> {}", link.oid, link.target);
  if (!link.target.starts_with('/'))
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("tablespace link {} is not an absolute path", value), "",
                "Fix the link, or remove the old data directory.");
  auto loc = ResolveLocation(link.target, {.configured = false, .os_user = user.uid});
  if (!loc || !loc->exists())
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("tablespace link {} cannot be used: {}", value,
                            loc ? "its target does not exist" : loc.error().message),
                "", "Repair the tablespace, or remove the old data directory.");
  if (auto why = WhyUnmovable(*loc, user))
    return Fail(
        ErrorKind::kCheckFailed,
        fmt::format("tablespace {} cannot be moved with its data directory: {}", value, *why), "",
        "See \"Layouts\" in docs/clone.md: a tablespace location must be a "
        "directory of the PostgreSQL OS user below a mount point.");
  return loc;
}

std::vector<FileId> TablespacesOfOtherServers(const std::string& own_data) {
  std::vector<FileId> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::end(it); it.increment(ec)) {
    std::string pid = it->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec2;
    std::string cwd = std::filesystem::read_symlink(it->path() / "cwd", ec2).string();
    if (ec2 || cwd.empty() || cwd == own_data || !cwd.starts_with('/')) continue;
    // A postmaster works in its data directory, whose postmaster.pid names it.
    auto pidfile = ReadFile(cwd + "/postmaster.pid", 4096, /*no_follow=*/true);
    if (!pidfile || pidfile->substr(0, pidfile->find('\n')) != pid) continue;
    auto dir = Dir::Open(cwd);
    if (!dir) continue;
    auto links = ReadTablespaceLinks(*dir);
    if (!links) continue;
    for (const auto& l : *links) {
      struct stat st {};
      if (l.target.starts_with('/') && stat(l.target.c_str(), &st) == 0)
        out.push_back(FileId::Of(st));
    }
  }
  return out;
}

}  // namespace pgreplica::replica
