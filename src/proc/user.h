#pragma once
// Operating-system users: who we are, and who PostgreSQL runs as.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::proc {

struct OsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::vector<gid_t> groups;  // supplementary groups, for setgroups() in a child
};

// Looks up the user PostgreSQL runs as by name. kEnvironment error when there is no such user,
// or when it is root (uid 0): PostgreSQL refuses to run as root.
Result<OsUser> LookupUser(const std::string& name);
// The user this process runs as (real uid).
Result<OsUser> CurrentUser();
bool RunningAsRoot();

// Whether work for `target` can run from this process: either we are root
// (and will switch to it), or we already are that user. Otherwise a
// kEnvironment error that says to run as root or as the user.
Status CanActAs(const OsUser& target);

// Whether `user` may write the file `path`, or create it when it does not exist, as the kernel
// decides for that user (permissions of every directory on the way, groups, ACLs): a forked
// child switches to the user and asks access(2). Errors only when that cannot be asked.
Result<bool> UserCanWrite(const OsUser& user, const std::string& path);

}  // namespace pgreplica::proc
