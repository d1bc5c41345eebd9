#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace pgreplica {

namespace {

// The table of error kinds: one row each, exit codes documented in docs/exit-codes.md and, from
// this table, in the man pages' EXIT STATUS sections.
constexpr ErrorKindInfo kKinds[] = {
    {ErrorKind::kCheckFailed, 1, "check_failed", "a check ran and found problems"},
    {ErrorKind::kUsage, 2, "usage", "bad command line"},
    {ErrorKind::kConfigSyntax, 3, "config_syntax", "the configuration file is not YAML"},
    {ErrorKind::kConfigInvalid, 4, "config_invalid",
     "an unknown key, a wrong type, a bad or missing value in the configuration"},
    {ErrorKind::kFileAccess, 5, "file_access",
     "a file that must be read or written is missing "
     "or unreadable"},
    {ErrorKind::kInsecureFile, 6, "insecure_file",
     "a secrets or configuration file others could read or change"},
    {ErrorKind::kConnection, 7, "connection",
     "a server could not be reached or refused the connection"},
    {ErrorKind::kAuth, 8, "authentication",
     "a server rejected the credentials, or no password was found"},
    {ErrorKind::kQuery, 9, "query", "a query failed on the server"},
    {ErrorKind::kEnvironment, 10, "environment",
     "programs, OS users or versions are not as required"},
    {ErrorKind::kChildFailed, 11, "child_failed",
     "an external program (pg_basebackup, pg_ctl, "
     "...) failed"},
    {ErrorKind::kLocked, 12, "locked",
     "another pgreplica run holds the lock on this data "
     "directory"},
    {ErrorKind::kInterrupted, 13, "interrupted", "SIGINT, SIGTERM or SIGHUP stopped the run"},
    {ErrorKind::kSystem, 14, "system", "an operating-system call failed"},
    {ErrorKind::kNotFound, 15, "not_found", "a named object (a job, a slot) does not exist"},
    {ErrorKind::kInternal, 70, "internal", "a bug in pgreplica; please report it"},
};

const ErrorKindInfo& Info(ErrorKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds[std::size(kKinds) - 1];
}

}  // namespace

Error Error::Context(std::string_view context) const {
  Error e = *this;
  e.message = std::string(context) + ": " + message;
  return e;
}

std::unexpected<Error> Fail(ErrorKind kind, std::string message, std::string detail,
                            std::string hint) {
  return std::unexpected(Error{kind, std::move(message), std::move(detail), std::move(hint)});
}

Error ErrnoError(int errnum, std::string message) {
  ErrorKind kind = ErrorKind::kSystem;
  switch (errnum) {
    case ENOENT:
    case EACCES:
    case EPERM:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
      kind = ErrorKind::kFileAccess;
      break;
    default:
      break;
  }
  std::string reason = std::strerror(errnum);
  return Error{kind, std::move(message) + ": " + reason, {}, {}};
}

std::span<const ErrorKindInfo> ErrorKinds() { return kKinds; }

int ExitCode(ErrorKind kind) { return Info(kind).exit_code; }
std::string_view KindName(ErrorKind kind) { return Info(kind).name; }

nlohmann::json ErrorJson(const Error& e) {
  nlohmann::json err = {
      {"kind", KindName(e.kind)}, {"exit_code", ExitCode(e.kind)}, {"message", e.message}};
  if (!e.detail.empty()) err["detail"] = e.detail;
  if (!e.hint.empty()) err["hint"] = e.hint;
  return err;
}

}  // namespace pgreplica
