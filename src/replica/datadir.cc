#include "replica/datadir.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

namespace fs = std::filesystem;

std::string StagingPathFor(const std::string& data_directory) {
  return data_directory + ".pgreplica-staging";
}

std::string ReadConfSetting(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line, value;
  while (std::getline(in, line)) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line.compare(i, name.size(), name) != 0) continue;
    i += name.size();
    i = line.find_first_not_of(" \t", i);
    if (i == std::string::npos || line[i] != '=') continue;
    i = line.find_first_not_of(" \t", i + 1);
    if (i == std::string::npos) continue;
    std::string v;
    if (line[i] == '\'') {
      for (++i; i < line.size() && line[i] != '\''; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        v += line[i];
      }
    } else {
      size_t end = line.find_first_of(" \t#", i);
      v = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
    }
    value = v;
  }
  return value;
}

int RunningPostmaster(const std::string& data_directory) {
  auto text = ReadFile(data_directory + "/postmaster.pid", 4096);
  if (!text) return 0;
  int pid = std::atoi(text->c_str());
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return 0;
  std::error_code ec;
  fs::path cwd = fs::read_symlink(fmt::format("/proc/{}/cwd", pid), ec);
  if (ec) return pid;  // not ours to look at (or no /proc): trust the live pid
  return cwd.string() == NormalPath(data_directory) ? pid : 0;
}

int WaitForNoPostmaster(const std::string& data_directory, std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  int pid = RunningPostmaster(data_directory);
  while (pid != 0 && std::chrono::steady_clock::now() < deadline) {
    ::usleep(50 * 1000);
    pid = RunningPostmaster(data_directory);
  }
  return pid;
}

Result<DataDirState> InspectDataDir(const std::string& path) {
  DataDirState s;
  auto st = StatPath(path);
  if (!st) return std::unexpected(st.error());
  if (!*st) return s;
  if (!S_ISDIR((*st)->st_mode))
    return Fail(ErrorKind::kFileAccess, fmt::format("\"{}\" exists but is not a directory", path));
  s.exists = true;
  std::error_code ec;
  s.empty = fs::is_empty(path, ec);
  if (ec)
    return std::unexpected(
        ErrnoError(ec.value(), fmt::format("could not read directory \"{}\"", path)));
  auto version = ReadFile(path + "/PG_VERSION", 64);
  if (version) {
    s.is_pgdata = true;
    s.major = std::atoi(version->c_str());
  }
  s.is_standby = fs::exists(path + "/standby.signal", ec);
  if (auto control = ReadFile(path + "/global/pg_control", 1 << 16);
      control && control->size() >= 8) {
    // ControlFileData begins with the 64-bit system identifier, in host byte order.
    std::uint64_t id;
    std::memcpy(&id, control->data(), sizeof id);
    s.system_identifier = id;
  }
  s.postmaster_pid = RunningPostmaster(path);
  for (const char* file : {"/postgresql.conf", "/postgresql.auto.conf"}) {
    if (auto text = ReadFile(path + file)) {
      std::string v = ReadConfSetting(*text, "primary_slot_name");
      if (!v.empty()) s.primary_slot_name = v;
    }
  }
  return s;
}

std::vector<std::string> OldDirectories(const std::string& data_directory) {
  std::vector<std::string> out;
  std::string prefix = fs::path(data_directory).filename().string() + ".old-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(DirName(data_directory), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.is_directory(ec)) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pgreplica::replica
