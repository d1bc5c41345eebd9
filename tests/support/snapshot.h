#pragma once
// A data directory's file list with a checksum of each file, to prove that a
// failed clone left the old data directory exactly as it was.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pgreplica::testing {

using Snapshot = std::map<std::string, std::uint64_t>;  // relative path -> FNV-1a of contents

Snapshot TakeSnapshot(const std::string& dir);
// The paths that differ, for a readable failure message ("" when equal).
std::string DescribeDifference(const Snapshot& before, const Snapshot& after);

// Every entry below `dir` (not following links) with its type, mode, owner, size and mtime,
// to prove that a run changed nothing at all. Paths starting with one of `skip` (relative to
// `dir`) are left out (a running server's files change by themselves).
using TreeSnapshot = std::map<std::string, std::string>;
TreeSnapshot TakeTreeSnapshot(const std::string& dir, const std::vector<std::string>& skip = {});
std::string DescribeDifference(const TreeSnapshot& before, const TreeSnapshot& after);

// Whether some process's command line or environment contains `needle`
// (scans /proc/*/cmdline and /proc/*/environ).
bool AnyProcessShows(const std::string& needle, std::string* where = nullptr);

// The pid of a running process whose command line contains all of `parts`, or 0.
int FindProcess(const std::vector<std::string>& parts);

// Whether process `pid` has ended: it is gone, or a zombie that its (new) parent has not
// reaped yet. Not for a child of the test process that nobody waits for: it stays a zombie.
bool ProcessEnded(int pid);

}  // namespace pgreplica::testing
