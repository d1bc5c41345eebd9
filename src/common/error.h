#pragma once
// The one error type of pgreplica. Every fallible call returns Result<T>;
// callers add context with Error::Context. The CLI prints errors the way
// PostgreSQL does and turns the kind into a documented exit code
// (table in error.cc, documented in docs/exit-codes.md).

#include <expected>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pgreplica {

enum class ErrorKind {
  kCheckFailed,    // a check ran and found problems (primary check, doctor, preflight)
  kUsage,          // bad command line
  kConfigSyntax,   // the configuration file is not valid YAML
  kConfigInvalid,  // valid YAML but an unknown key, wrong type or bad value
  kFileAccess,     // a file we must read or write is missing or unreadable
  kInsecureFile,   // a secrets file is readable by others or owned by someone else
  kConnection,     // a server could not be reached or refused the connection
  kAuth,           // a server rejected the credentials
  kQuery,          // a query failed on the server
  kEnvironment,    // binaries, OS users or versions are not as required
  kChildFailed,    // an external program failed
  kLocked,         // another pgreplica run holds the lock
  kInterrupted,    // SIGINT/SIGTERM arrived
  kSystem,         // an operating-system call failed
  kNotFound,       // a named object (job, slot) does not exist
  kInternal,       // a bug in pgreplica
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;   // lower case, no final period
  std::string detail;    // complete sentences, may be empty
  std::string hint;      // complete sentences, may be empty
  std::string sqlstate;  // the server's SQLSTATE for kQuery errors, else empty

  // Returns a copy whose message is prefixed with "context: ".
  Error Context(std::string_view context) const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Shorthand for returning an error: `return Fail(ErrorKind::kUsage, "...")`.
std::unexpected<Error> Fail(ErrorKind kind, std::string message, std::string detail = {},
                            std::string hint = {});

// Maps errno to an error of kind kSystem (or kFileAccess for ENOENT/EACCES and
// friends) with the system's text as detail. The one place errno becomes text.
Error ErrnoError(int errnum, std::string message);

// Exit code of the process for an error of this kind.
int ExitCode(ErrorKind kind);
// Stable machine name of the kind, as used in JSON output ("config_invalid").
std::string_view KindName(ErrorKind kind);

// An error as the "error" member of a JSON document (command output, job records): kind,
// exit_code, message, and detail and hint when they are not empty.
nlohmann::json ErrorJson(const Error& error);

// One row of the table of error kinds.
struct ErrorKindInfo {
  ErrorKind kind;
  int exit_code;
  std::string_view name;     // as KindName returns it
  std::string_view meaning;  // a short phrase for documentation
};
// Every kind, in exit-code order (the man pages' EXIT STATUS is written from it).
std::span<const ErrorKindInfo> ErrorKinds();

// Exit codes that are not errors.
inline constexpr int kExitOk = 0;

}  // namespace pgreplica
