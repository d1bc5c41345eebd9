#pragma once
// Reading secrets. A password comes from a secrets file that only its owner
// can read, or from standard input; never from a command line or the
// environment.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::conf {

// Reads the first line of a secrets file. kInsecureFile unless the file is a
// regular file, mode 0600 or stricter, owned by one of `allowed_owners`;
// kFileAccess when missing/unreadable; kConfigInvalid when empty.
Result<std::string> ReadSecretFile(const std::string& path,
                                   const std::vector<uid_t>& allowed_owners);

// Reads one line from a file descriptor (standard input). kUsage when empty.
Result<std::string> ReadSecretFromFd(int fd);

}  // namespace pgreplica::conf
