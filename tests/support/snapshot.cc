#include <filesystem>
#include <fstream>
#include <vector>

#include "support/snapshot.h"

namespace pgreplica::testing {

namespace fs = std::filesystem;

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

Snapshot TakeSnapshot(const std::string& dir) {
  Snapshot s;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string data = Slurp(it->path().string());
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
    s[fs::relative(it->path(), dir).string()] = h;
  }
  return s;
}

std::string DescribeDifference(const Snapshot& before, const Snapshot& after) {
  std::string out;
  for (const auto& [path, h] : before) {
    auto it = after.find(path);
    if (it == after.end())
      out += "removed: " + path + "\n";
    else if (it->second != h)
      out += "changed: " + path + "\n";
  }
  for (const auto& [path, h] : after)
    if (!before.count(path)) out += "added: " + path + "\n";
  return out;
}

bool AnyProcessShows(const std::string& needle, std::string* where) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string pid = e.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    for (const char* file : {"/cmdline", "/environ"}) {
      std::string data = Slurp(e.path().string() + file);
      if (data.find(needle) != std::string::npos) {
        if (where) *where = pid + file;
        return true;
      }
    }
  }
  return false;
}

int FindProcess(const std::vector<std::string>& parts) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string pid = e.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::string cmd = Slurp(e.path().string() + "/cmdline");
    bool all = !cmd.empty();
    for (const auto& p : parts) all = all && cmd.find(p) != std::string::npos;
    if (all) return std::stoi(pid);
  }
  return 0;
}

}  // namespace pgreplica::testing
