#include "pg/binaries.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/number.h"
#include "proc/child.h"

namespace pgreplica::pg {

namespace fs = std::filesystem;

namespace {
constexpr const char* kDebianRoot = "/usr/lib/postgresql";

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }
}  // namespace

int ParseMajorVersion(const std::string& out) {
  auto pos = out.find("(PostgreSQL) ");
  if (pos == std::string::npos) return 0;
  pos += 13;
  size_t end = pos;
  while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
  // Too many digits is no version at all (and no signed overflow).
  return ParseInt(std::string_view(out).substr(pos, end - pos)).value_or(0);
}

Result<std::string> ChooseBindir(const std::string& configured, std::optional<int> want_major) {
  if (!configured.empty()) return configured;
  if (want_major) {
    std::string dir = fmt::format("{}/{}/bin", kDebianRoot, *want_major);
    if (Executable(dir + "/pg_ctl")) return dir;
  }
  if (auto p = proc::FindInPath("pg_ctl")) {
    std::error_code ec;
    auto real = fs::canonical(*p, ec);
    if (!ec) return real.parent_path().string();
  }
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kDebianRoot, ec)) {
    std::string name = entry.path().filename().string();
    auto major = ParseInt(name);
    if (major && *major >= 0 && Executable(entry.path().string() + "/bin/pg_ctl"))
      found.emplace_back(*major, entry.path().string() + "/bin");
  }
  if (found.empty()) {
    return Fail(ErrorKind::kEnvironment, "could not find the PostgreSQL programs",
                fmt::format("pg_ctl is neither in PATH nor under {}/*/bin.", kDebianRoot),
                "Install the PostgreSQL server package, or set local.bindir.");
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

Program InspectProgram(const std::string& bindir, const std::string& name) {
  Program p;
  p.name = name;
  std::string path = bindir + "/" + name;
  if (!Executable(path)) return p;
  p.path = path;
  auto run = proc::Run({.argv = {path, "--version"}}, {.timeout = std::chrono::seconds(20)});
  if (run && run->status.ok()) {
    p.version_text = run->output.substr(0, run->output.find('\n'));
    p.major = ParseMajorVersion(p.version_text);
  }
  return p;
}

Result<std::vector<Program>> InspectToolset(const std::string& bindir,
                                            std::optional<int> want_major) {
  std::vector<Program> programs;
  for (const auto& name : kRequiredPrograms) {
    Program p = InspectProgram(bindir, name);
    if (p.path.empty()) {
      return Fail(ErrorKind::kEnvironment,
                  fmt::format("could not find program \"{}\" in \"{}\"", name, bindir), "",
                  "Install the PostgreSQL server package of the primary's major version, or set "
                  "local.bindir.");
    }
    if (p.major == 0) {
      return Fail(ErrorKind::kEnvironment,
                  fmt::format("could not determine the version of \"{}\"", p.path),
                  p.version_text.empty() ? "It printed no version."
                                         : fmt::format("It printed: {}", p.version_text));
    }
    if (want_major && p.major != *want_major) {
      return Fail(
          ErrorKind::kEnvironment,
          fmt::format("major version mismatch: local {} is {}, the primary is {}", name, p.major,
                      *want_major),
          fmt::format("\"{}\" reports \"{}\".", p.path, p.version_text),
          fmt::format("Install PostgreSQL {} on this host, or set local.bindir to its programs.",
                      *want_major));
    }
    programs.push_back(std::move(p));
  }
  return programs;
}

}  // namespace pgreplica::pg
