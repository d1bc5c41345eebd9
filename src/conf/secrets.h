#pragma once
// Reading secrets. A password comes from a secrets file that only its owner
// can read, or from standard input; never from a command line or the
// environment.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::conf {

// Reads the password from a secrets file: the whole file, less one line
// ending ("\n" or "\r\n") at its end. kInsecureFile unless the file is a
// regular file, mode 0600 or stricter, owned by one of `allowed_owners`;
// kFileAccess when missing/unreadable; kConfigInvalid when empty, longer than
// 64 kB, or when anything follows the line ending (a second line, a blank
// line) or the password holds a NUL byte: never a silently truncated password.
Result<std::string> ReadSecretFile(const std::string& path,
                                   const std::vector<uid_t>& allowed_owners);

// Reads the password from a file descriptor (standard input) under the same
// rules; kUsage for every problem.
Result<std::string> ReadSecretFromFd(int fd);

}  // namespace pgreplica::conf
