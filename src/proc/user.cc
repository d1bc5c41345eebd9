#include "proc/user.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
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
  if (pw->pw_uid == 0) {
    // What pgreplica does as this user (and tells others to chown to it) would be done as root.
    return Fail(
        ErrorKind::kEnvironment, fmt::format("OS user \"{}\" is root (uid 0)", name),
        "PostgreSQL refuses to run as root, so it cannot be the user PostgreSQL runs as.",
        "Set local.os_user to the unprivileged user PostgreSQL runs as (such as postgres).");
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

Result<bool> UserCanWrite(const OsUser& user, const std::string& path) {
  if (path.empty() || path[0] != '/')
    return Fail(ErrorKind::kInternal, fmt::format("path \"{}\" is not absolute", path));
  std::string dir = path.substr(0, path.find_last_of('/'));
  if (dir.empty()) dir = "/";
  bool switch_user = geteuid() == 0 && user.uid != 0;
  if (!switch_user && geteuid() != user.uid)
    return Fail(ErrorKind::kEnvironment, fmt::format("cannot act as OS user \"{}\"", user.name));
  pid_t pid = fork();
  if (pid < 0) return std::unexpected(ErrnoError(errno, "could not fork"));
  if (pid == 0) {
    // Only async-signal-safe calls in the child.
    if (switch_user && (setgroups(user.groups.size(), user.groups.data()) != 0 ||
                        setgid(user.gid) != 0 || setuid(user.uid) != 0))
      _exit(2);
    if (access(path.c_str(), F_OK) == 0) _exit(access(path.c_str(), W_OK) == 0 ? 0 : 1);
    _exit(errno == ENOENT && access(dir.c_str(), W_OK | X_OK) == 0 ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(ErrnoError(errno, "could not wait for a child"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
    return Fail(ErrorKind::kSystem,
                fmt::format("could not check as OS user \"{}\" whether \"{}\" is writable",
                            user.name, path));
  return WEXITSTATUS(status) == 0;
}

}  // namespace pgreplica::proc
