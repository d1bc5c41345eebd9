#include "local/datadir.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "common/fs.h"

namespace pgreplica::replica {

namespace fs = std::filesystem;

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
      // Inside quotes, '' and \' stand for a quote (postgresql.conf's rules).
      for (++i; i < line.size(); ++i) {
        if (line[i] == '\'') {
          if (i + 1 < line.size() && line[i + 1] == '\'') {
            v += '\'';
            ++i;
            continue;
          }
          break;
        }
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
  auto text = ReadFile(data_directory + "/postmaster.pid", 4096, /*no_follow=*/true);
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

Result<DataDirState> InspectDataDir(const Location& location) {
  DataDirState s;
  if (!location.exists()) return s;
  auto dir = location.Open();
  if (!dir) return std::unexpected(dir.error());
  s.exists = true;
  s.owner = dir->status().st_uid;
  s.mode = dir->status().st_mode & 07777;
  auto empty = dir->IsEmpty();
  if (!empty) return std::unexpected(empty.error());
  s.empty = *empty;
  if (auto version = dir->ReadFile("PG_VERSION", 64)) {
    s.is_pgdata = true;
    s.major = std::atoi(version->c_str());
  }
  auto signal = dir->Stat("standby.signal");
  s.is_standby = signal && *signal;
  if (auto global = dir->OpenDir("global")) {
    if (auto control = global->ReadFile("pg_control", 1 << 16); control && control->size() >= 8) {
      // ControlFileData begins with the 64-bit system identifier, in host byte order.
      std::uint64_t id;
      std::memcpy(&id, control->data(), sizeof id);
      s.system_identifier = id;
    }
  }
  s.postmaster_pid = RunningPostmaster(location.real);
  for (const char* file : {"postgresql.conf", "postgresql.auto.conf"}) {
    if (auto text = dir->ReadFile(file)) {
      std::string v = ReadConfSetting(*text, "primary_slot_name");
      if (!v.empty()) s.primary_slot_name = v;
      std::string c = ReadConfSetting(*text, "primary_conninfo");
      if (!c.empty()) s.primary_conninfo = c;
    }
  }
  auto links = ReadTablespaceLinks(*dir);
  if (!links) return std::unexpected(links.error());
  s.tablespaces = std::move(*links);
  return s;
}

}  // namespace pgreplica::replica
