#pragma once
// pgreplica's own state directory (state_directory, default /var/lib/pgreplica): job records,
// the locks of data directories and the journals of swaps in progress. When pgreplica runs as
// root it must belong to root and be writable by nobody else: a lock or a journal that the
// PostgreSQL OS user could remove or rewrite would protect nothing.

#include <sys/types.h>

#include <string>

#include "common/dirfd.h"
#include "common/error.h"

namespace pgreplica::replica {

// Opens <state_directory>/<sub> (creating both with mode 0700/0750 when `create`), checking
// that each belongs to this process's user and that nobody else can write it. kNotFound when
// it does not exist and `create` is false.
Result<Dir> OpenStateDir(const std::string& state_directory, const std::string& sub, bool create,
                         mode_t sub_mode = 0700);

// The file name under which state about a directory is kept: "<base name>-<hash of the real
// path>" (so that two spellings of one directory share it).
std::string StateKey(const std::string& real_path);

}  // namespace pgreplica::replica
