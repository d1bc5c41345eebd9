#pragma once
// Whether a file that root acts on could have been written by someone else:
// a configuration whose commands root runs must not be a way to become root.

#include <optional>
#include <string>

namespace pgreplica::conf {

// Why a user other than root could change a file, and what must change.
struct Untrusted {
  // A sentence: "It belongs to user id 26.", "Its directory \"/srv/conf\" is writable by
  // others (mode 0777)."
  std::string reason;
  // A sentence naming the file or the directory at fault and the commands that fix it
  // ("chown root: /srv/conf; chmod go-w /srv/conf"), or moving the file.
  std::string fix;
};

// Why someone other than root could change the file at `path`, or nullopt when only root
// can: the file and every directory above it (on its path as given and on its resolved
// path) belong to root and are writable by neither others nor a group other than root's,
// except that a sticky directory (/tmp) may be, since it keeps others from replacing
// root's file.
std::optional<Untrusted> FindUntrusted(const std::string& path);

// FindUntrusted's reason, or empty when only root can change the file.
std::string WritableByOthers(const std::string& path);

// The same judgement, made on the file root actually reads: opened through directory fds that
// follow no link another user could have planted (common/dirfd.h), judged by the fd, and read
// from it. `contents` receives the text when the file could be opened.
std::string WritableByOthers(const std::string& path, std::string* contents);

}  // namespace pgreplica::conf
