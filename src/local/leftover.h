#pragma once
// What a killed clone leaves running. pg_basebackup dies with pgreplica
// (parent-death signal), but the process it forks to stream WAL does not
// inherit that signal: after a SIGKILL of pgreplica it keeps streaming into
// staging and holds the slot on the primary. The next run finds such
// processes by their command line (the fork keeps it) and ends them before
// it judges the slot.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace pgreplica::replica {

// Pids of processes of user `owner` running pg_basebackup with --pgdata=<staging>.
std::vector<int> FindLeftoverCopies(const std::string& staging, uid_t owner);

// The staged tablespace directories (NEWDIR of each --tablespace-mapping) of the
// pg_basebackup processes of user `owner` copying into <staging>: where a killed run's copy
// of the tablespaces is, when nothing else records it.
std::vector<std::string> LeftoverTablespaceStagings(const std::string& staging, uid_t owner);

// SIGKILLs each and waits up to `wait` for them to be gone; returns the pids still there.
std::vector<int> EndLeftoverCopies(const std::vector<int>& pids, std::chrono::milliseconds wait);

}  // namespace pgreplica::replica
