#include "conf/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::conf {

namespace {

constexpr size_t kMaxSecretBytes = 65536;

// The password in `text`: all of it, less one line ending ("\n" or "\r\n")
// at its very end. The reason, as a sentence, when anything else is there: a
// second line would otherwise be dropped without a word (and a password file
// or pgpass entry written with a truncated password).
Result<std::string> SecretFromText(std::string text, const std::string& what) {
  if (text.size() > kMaxSecretBytes) {
    return Fail(
        ErrorKind::kConfigInvalid, fmt::format("{} is too long", what),
        fmt::format("It holds more than {} bytes; a password is one line.", kMaxSecretBytes));
  }
  if (text.ends_with("\r\n"))
    text.resize(text.size() - 2);
  else if (text.ends_with('\n'))
    text.pop_back();
  if (text.find_first_of("\r\n") != std::string::npos) {
    return Fail(ErrorKind::kConfigInvalid, fmt::format("{} holds more than one line", what),
                "The password must be alone on one line, followed by at most one line ending; "
                "nothing was written.",
                "Remove everything after the password's line.");
  }
  if (text.find('\0') != std::string::npos) {
    return Fail(ErrorKind::kConfigInvalid, fmt::format("{} holds a NUL byte", what),
                "A password cannot contain NUL bytes; nothing was written.");
  }
  return text;
}

// Reads up to one byte more than kMaxSecretBytes, so that a longer input is noticed.
Result<std::string> ReadAll(int fd, const std::string& what) {
  std::string out;
  char buf[4096];
  while (out.size() <= kMaxSecretBytes) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, fmt::format("could not read {}", what)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

Result<std::string> ReadSecretFile(const std::string& path,
                                   const std::vector<uid_t>& allowed_owners) {
  // Opened through its directory's fd and never through a link (the file may sit in a
  // directory the PostgreSQL OS user can write; a planted link would make root read any file),
  // and without blocking on a FIFO.
  auto dir = Dir::Open(DirName(LexicalPath(path)));
  auto opened = dir ? dir->OpenFile(BaseName(path), O_RDONLY)
                    : Result<UniqueFd>(std::unexpected(dir.error()));
  if (!opened) {
    Error e = opened.error();
    if (e.kind != ErrorKind::kInsecureFile)
      e = ErrnoError(ENOENT, fmt::format("could not open secrets file \"{}\"", path));
    e.message = fmt::format("could not open secrets file \"{}\": {}", path, opened.error().message);
    e.hint = e.kind == ErrorKind::kInsecureFile
                 ? "Point replication.password_file at a regular file (mode 0600, owned by root or "
                   "the PostgreSQL OS user), not at a link."
                 : "Check replication.password_file in the configuration, or use --password-stdin.";
    return std::unexpected(e);
  }
  int fd = opened->release();
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return std::unexpected(
        ErrnoError(err, fmt::format("could not stat secrets file \"{}\"", path)));
  }
  auto insecure = [&](std::string detail, std::string hint) {
    close(fd);
    return Fail(ErrorKind::kInsecureFile, fmt::format("secrets file \"{}\" is not private", path),
                std::move(detail), std::move(hint));
  };
  if (!S_ISREG(st.st_mode))
    return insecure("It is not a regular file.", "Point to a regular file.");
  if ((st.st_mode & 077) != 0) {
    return insecure(
        fmt::format("Its mode is {:04o}; other users could read the password.", st.st_mode & 07777),
        fmt::format("Run: chmod 600 {}", path));
  }
  if (st.st_nlink != 1)
    return insecure(fmt::format("It has {} names (hard links).", st.st_nlink),
                    "Keep the secret in a file of its own.");
  if (std::find(allowed_owners.begin(), allowed_owners.end(), st.st_uid) == allowed_owners.end()) {
    return insecure(fmt::format("It is owned by user id {}.", st.st_uid),
                    "The file must belong to root or to the PostgreSQL OS user.");
  }
  auto text = ReadAll(fd, fmt::format("secrets file \"{}\"", path));
  close(fd);
  if (!text) return std::unexpected(text.error());
  auto password = SecretFromText(std::move(*text), fmt::format("secrets file \"{}\"", path));
  if (!password) return password;
  if (password->empty()) {
    return Fail(ErrorKind::kConfigInvalid,
                fmt::format("secrets file \"{}\" holds an empty password", path),
                "The file holds the password on one line.", "Write the password into the file.");
  }
  return password;
}

Result<std::string> ReadSecretFromFd(int fd) {
  auto text = ReadAll(fd, "the password from standard input");
  if (!text) return std::unexpected(text.error());
  auto password = SecretFromText(std::move(*text), "standard input");
  if (!password) {
    Error e = password.error();
    e.kind = ErrorKind::kUsage;
    return std::unexpected(e);
  }
  if (password->empty()) {
    return Fail(ErrorKind::kUsage, "no password on standard input",
                "With --password-stdin standard input holds the password on one line.");
  }
  return password;
}

}  // namespace pgreplica::conf
