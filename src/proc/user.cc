#include "proc/user.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace pgreplica::proc {

namespace {

Result<OsUser> FromPasswd(const passwd* pw) {
  OsUser u;
  u.name = pw->pw_name;
  u.uid = pw->pw_uid;
  u.gid = pw->pw_gid;
  u.home = pw->pw_dir ? pw->pw_dir : "";
  int n = 32;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::vector<gid_t> groups(static_cast<size_t>(n));
    int count = n;
    if (getgrouplist(u.name.c_str(), u.gid, groups.data(), &count) >= 0) {
      groups.resize(static_cast<size_t>(count));
      u.groups = std::move(groups);
      return u;
    }
    n = count > n ? count : n * 4;
  }
  u.groups = {u.gid};
  return u;
}

}  // namespace

Result<OsUser> LookupUser(const std::string& name) {
  passwd pwbuf{};
  passwd* pw = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwnam_r(name.c_str(), &pwbuf, buf.data(), buf.size(), &pw);
  if (rc != 0)
    return std::unexpected(ErrnoError(rc, fmt::format("could not look up OS user \"{}\"", name)));
  if (pw == nullptr) {
    return Fail(ErrorKind::kEnvironment, fmt::format("OS user \"{}\" does not exist", name), "",
                "Set local.os_user to the user PostgreSQL runs as, or create that user.");
  }
  return FromPasswd(pw);
}

Result<OsUser> CurrentUser() {
  passwd pwbuf{};
  passwd* pw = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwuid_r(getuid(), &pwbuf, buf.data(), buf.size(), &pw);
  if (rc != 0) return std::unexpected(ErrnoError(rc, "could not look up the current OS user"));
  if (pw == nullptr) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("the current user id {} has no entry in the user database", getuid()));
  }
  return FromPasswd(pw);
}

bool RunningAsRoot() { return geteuid() == 0; }

Status CanActAs(const OsUser& target) {
  if (RunningAsRoot() || geteuid() == target.uid) return {};
  return Fail(ErrorKind::kEnvironment, fmt::format("cannot act as OS user \"{}\"", target.name),
              fmt::format("pgreplica runs as user id {} and is not root.", geteuid()),
              fmt::format("Run pgreplica as root or as \"{}\".", target.name));
}

}  // namespace pgreplica::proc
