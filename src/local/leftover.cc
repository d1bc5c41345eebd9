#include "local/leftover.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/fs.h"

namespace pgreplica::replica {

namespace {

// The real uid of a process from /proc/<pid>/status; -1 when it cannot be read.
long long RealUid(const std::string& proc_dir) {
  auto text = ReadFile(proc_dir + "/status", 1 << 16);
  if (!text) return -1;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    long long uid = -1;
    fields >> uid;
    return uid;
  }
  return -1;
}

bool Alive(int pid) {
  if (kill(pid, 0) != 0) return errno == EPERM;
  // A zombie is as good as gone; its parent (init) reaps it.
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  auto close = stat->rfind(')');
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

}  // namespace

namespace {

struct Leftover {
  int pid = 0;
  std::vector<std::string> argv;
};

std::vector<Leftover> FindLeftovers(const std::string& staging, uid_t owner) {
  std::vector<Leftover> out;
  const std::string want = "--pgdata=" + staging;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::end(it); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = ReadFile(it->path().string() + "/cmdline", 1 << 16);
    if (!cmdline || cmdline->empty()) continue;
    std::vector<std::string> argv;
    std::string_view rest = *cmdline;
    while (!rest.empty()) {
      auto nul = rest.find('\0');
      argv.emplace_back(rest.substr(0, nul));
      if (nul == std::string_view::npos) break;
      rest.remove_prefix(nul + 1);
    }
    if (argv.empty() || BaseName(argv[0]) != "pg_basebackup") continue;
    bool match = false;
    for (const auto& a : argv) match |= a == want;
    if (!match || RealUid(it->path().string()) != static_cast<long long>(owner)) continue;
    int pid = 0;
    std::from_chars(name.data(), name.data() + name.size(), pid);
    if (pid != getpid() && Alive(pid)) out.push_back({pid, std::move(argv)});
  }
  return out;
}

}  // namespace

std::vector<int> FindLeftoverCopies(const std::string& staging, uid_t owner) {
  std::vector<int> out;
  for (const auto& l : FindLeftovers(staging, owner)) out.push_back(l.pid);
  return out;
}

std::vector<std::string> LeftoverTablespaceStagings(const std::string& staging, uid_t owner) {
  std::vector<std::string> out;
  const std::string option = "--tablespace-mapping=";
  for (const auto& l : FindLeftovers(staging, owner)) {
    for (const auto& a : l.argv) {
      if (!a.starts_with(option)) continue;
      // OLDDIR=NEWDIR, with "\=" for a literal "=" (pgreplica never writes one).
      std::string value = a.substr(option.size());
      auto eq = value.find('=');
      if (eq == std::string::npos) continue;
      std::string to = value.substr(eq + 1);
      if (to.starts_with('/') && to.ends_with(".pgreplica-staging") &&
          std::find(out.begin(), out.end(), to) == out.end())
        out.push_back(to);
    }
  }
  return out;
}

std::vector<int> EndLeftoverCopies(const std::vector<int>& pids, std::chrono::milliseconds wait) {
  for (int pid : pids) kill(pid, SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<int> left = pids;
  while (true) {
    std::erase_if(left, [](int pid) { return !Alive(pid); });
    if (left.empty() || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace pgreplica::replica
