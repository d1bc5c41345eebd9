#pragma once
// The journal of a swap in progress. The swap renames several directories (the
// data directory and its tablespace directories aside, the copies in); a run
// killed in between (SIGKILL, a power cut) would leave the old standby half
// moved. So before the first rename the swap writes what it is about to do to
// <state_directory>/swaps/<StateKey>.json (root-owned, fsynced), and removes
// it once the new standby has started or everything was put back. The next
// clone or decommission of the same data directory finds a journal left
// behind and puts the old standby back first; doctor reports it.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/dirfd.h"
#include "common/error.h"
#include "local/location.h"
#include "proc/user.h"

namespace pgreplica::replica {

struct SwapJournal {
  std::string data_real;  // the data directory's real path
  std::string stamp;      // of the names <name>.old-<stamp> and <name>.failed-<stamp>
  // Real paths of the tablespace directories the swap renames (old ones aside, new ones in).
  std::vector<std::string> tablespaces;
  // The old data directory's tablespace links as they were (pointed elsewhere while it is
  // aside).
  std::vector<TablespaceLink> old_links;
  // The new copy's tablespaces: oid and the real path of its location.
  std::vector<TablespaceLink> new_tablespaces;
  nlohmann::json ToJson() const;
  static Result<SwapJournal> FromJson(const nlohmann::json& j);
};

// The journal file of one data directory.
class JournalFile {
 public:
  // Opens <state_directory>/swaps (created if missing) for the data directory `data_real`.
  static Result<JournalFile> Open(const std::string& state_directory, const std::string& data_real,
                                  bool create);
  Status Write(const SwapJournal& journal) const;
  // nullopt when there is none.
  Result<std::optional<SwapJournal>> Read() const;
  Status Remove() const;
  std::string path() const { return dir_.PathOf(name_); }

 private:
  JournalFile(Dir dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {}
  Dir dir_;
  std::string name_;
};

// Puts back what the interrupted swap in `journal` left: a copy already moved in goes to
// <name>.failed-<stamp> (its links pointed at its own tablespaces), the old data directory and
// its tablespace directories come back from <name>.old-<stamp>, and the old links are
// restored. Nothing is done when a server runs in the data directory (the swap had completed).
// Returns what was done, one sentence each; the old standby is left stopped.
Result<std::vector<std::string>> RecoverSwap(const SwapJournal& journal,
                                             const proc::OsUser& os_user);

// For clone and decommission: finds a journal of this data directory, recovers it and removes
// it. `dry_run` only reports what would be done. Empty when there was nothing to recover.
Result<std::vector<std::string>> RecoverInterruptedSwap(const std::string& state_directory,
                                                        const std::string& data_real,
                                                        const proc::OsUser& os_user, bool dry_run);

}  // namespace pgreplica::replica
