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

namespace {

constexpr const char* kRule =
    "The standby's server programs (postgres, pg_ctl) must be of the primary's major version "
    "exactly; pg_basebackup and the verifier's program (pg_waldump for the built-in verifier, "
    "pg_verifybackup) may be newer than the primary, never older.";

Result<Program> FindProgram(const std::string& bindir, const std::string& name, bool server) {
  Program p = InspectProgram(bindir, name);
  if (p.path.empty()) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("could not find program \"{}\" in \"{}\"", name, bindir), "",
                server ? "Install the PostgreSQL server package of the primary's major version, "
                         "or set local.bindir to the directory of its programs."
                : name == "pg_waldump"
                    ? "The built-in verifier parses the copy's WAL with pg_waldump (on Debian "
                      "in the server package postgresql-NN): install it, set "
                      "local.client_bindir to a directory that holds it, or set clone.verify: "
                      "pg_verifybackup."
                    : "Install the PostgreSQL client programs of the primary's major version or "
                      "newer, or set local.client_bindir to the directory that holds them.");
  }
  if (p.major == 0) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("could not determine the version of \"{}\"", p.path),
                p.version_text.empty() ? "It printed no version."
                                       : fmt::format("It printed: {}", p.version_text));
  }
  return p;
}

}  // namespace

Status CheckProgramVersion(const Program& p, bool server, int primary_major) {
  std::string reports = fmt::format("\"{}\" reports \"{}\". {}", p.path, p.version_text, kRule);
  if (server && p.major != primary_major) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("local {} is PostgreSQL {}, but the primary runs PostgreSQL {}", p.name,
                            p.major, primary_major),
                reports,
                fmt::format("Install the server programs of PostgreSQL {} on this host and set "
                            "local.bindir to their directory.",
                            primary_major));
  }
  if (!server && p.major < primary_major) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("local {} is PostgreSQL {}, older than the primary's PostgreSQL {}",
                            p.name, p.major, primary_major),
                reports,
                fmt::format("Install the client programs of PostgreSQL {} or newer and set "
                            "local.client_bindir to their directory.",
                            primary_major));
  }
  return {};
}

std::string VerifierProgram(const std::string& verify_mode) {
  if (verify_mode == "off") return "";
  if (verify_mode == "pg_verifybackup") return "pg_verifybackup";
  return "pg_waldump";
}

Result<CloneToolset> InspectCloneToolset(const std::string& server_bindir,
                                         const std::string& client_bindir,
                                         std::optional<int> primary_major,
                                         const std::string& verifier) {
  CloneToolset t;
  t.server_bindir = server_bindir;
  t.client_bindir = client_bindir.empty() ? server_bindir : client_bindir;
  t.verifier = verifier;
  std::vector<std::string> clients = {"pg_basebackup"};
  if (!verifier.empty()) clients.push_back(verifier);
  for (bool server : {true, false}) {
    for (const auto& name : server ? kServerPrograms : clients) {
      auto p = FindProgram(server ? t.server_bindir : t.client_bindir, name, server);
      if (!p) return std::unexpected(p.error());
      if (primary_major) {
        if (auto ok = CheckProgramVersion(*p, server, *primary_major); !ok)
          return std::unexpected(ok.error());
      }
      if (server && t.server_major != 0 && p->major != t.server_major) {
        return Fail(ErrorKind::kEnvironment,
                    fmt::format("the server programs in \"{}\" are of different major versions",
                                t.server_bindir),
                    fmt::format("{} is PostgreSQL {}, {} is PostgreSQL {}.", t.programs[0].path,
                                t.server_major, p->path, p->major),
                    "Set local.bindir to one PostgreSQL installation.");
      }
      if (server) t.server_major = p->major;
      if (name == "pg_basebackup") t.basebackup_major = p->major;
      if (name == verifier) t.verifier_major = p->major;
      t.programs.push_back(std::move(*p));
    }
  }
  return t;
}

}  // namespace pgreplica::pg
