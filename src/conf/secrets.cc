#include "conf/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace pgreplica::conf {

namespace {

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> ReadAll(int fd, const std::string& what) {
  std::string out;
  char buf[4096];
  while (out.size() < 65536) {
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
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    Error e = ErrnoError(errno, fmt::format("could not open secrets file \"{}\"", path));
    e.hint = "Check replication.password_file in the configuration, or use --password-stdin.";
    return std::unexpected(e);
  }
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
  if (std::find(allowed_owners.begin(), allowed_owners.end(), st.st_uid) == allowed_owners.end()) {
    return insecure(fmt::format("It is owned by user id {}.", st.st_uid),
                    "The file must belong to root or to the PostgreSQL OS user.");
  }
  auto text = ReadAll(fd, fmt::format("secrets file \"{}\"", path));
  close(fd);
  if (!text) return std::unexpected(text.error());
  std::string password = FirstLine(*text);
  if (password.empty()) {
    return Fail(ErrorKind::kConfigInvalid,
                fmt::format("secrets file \"{}\" holds an empty password", path),
                "The first line of the file is the password.", "Write the password into the file.");
  }
  return password;
}

Result<std::string> ReadSecretFromFd(int fd) {
  auto text = ReadAll(fd, "the password from standard input");
  if (!text) return std::unexpected(text.error());
  std::string password = FirstLine(*text);
  if (password.empty()) {
    return Fail(ErrorKind::kUsage, "no password on standard input",
                "With --password-stdin the first line of standard input is the password.");
  }
  return password;
}

}  // namespace pgreplica::conf
