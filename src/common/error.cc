#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace pgreplica {

namespace {

struct KindInfo {
  ErrorKind kind;
  int exit_code;
  std::string_view name;
};

// The table of error kinds: one row each, exit codes documented in docs/exit-codes.md.
constexpr KindInfo kKinds[] = {
    {ErrorKind::kCheckFailed, 1, "check_failed"},
    {ErrorKind::kUsage, 2, "usage"},
    {ErrorKind::kConfigSyntax, 3, "config_syntax"},
    {ErrorKind::kConfigInvalid, 4, "config_invalid"},
    {ErrorKind::kFileAccess, 5, "file_access"},
    {ErrorKind::kInsecureFile, 6, "insecure_file"},
    {ErrorKind::kConnection, 7, "connection"},
    {ErrorKind::kAuth, 8, "authentication"},
    {ErrorKind::kQuery, 9, "query"},
    {ErrorKind::kEnvironment, 10, "environment"},
    {ErrorKind::kChildFailed, 11, "child_failed"},
    {ErrorKind::kLocked, 12, "locked"},
    {ErrorKind::kInterrupted, 13, "interrupted"},
    {ErrorKind::kSystem, 14, "system"},
    {ErrorKind::kNotFound, 15, "not_found"},
    {ErrorKind::kInternal, 70, "internal"},
};

const KindInfo& Info(ErrorKind kind) {
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

int ExitCode(ErrorKind kind) { return Info(kind).exit_code; }
std::string_view KindName(ErrorKind kind) { return Info(kind).name; }

}  // namespace pgreplica
