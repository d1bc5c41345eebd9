// pgreplica-gendoc: writes pgreplica's man pages and bash completion from its command table
// (src/cli/app.h), at build time, and the tables of keys in docs/configuration.md from the
// configuration's schema (conf/config_doc.h), by hand. Not installed.
//   pgreplica-gendoc --man-dir DIR --completion FILE [--docdir DIR] [--datadir DIR]
//   pgreplica-gendoc --configuration-table docs/configuration.md
// The pages' date is SOURCE_DATE_EPOCH's (reproducible builds), else none.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/app.h"
#include "cli/manual.h"
#include "conf/config_doc.h"
#include "version.h"

namespace {

bool Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

std::string Date() {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch == nullptr || *epoch == '\0') return "";
  std::time_t t = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm) == 0)
    return "";
  return buf;
}

// Rewrites the tables of keys in the markdown file at `path`.
int WriteKeyTables(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "pgreplica-gendoc: could not read " << path << "\n";
    return 1;
  }
  auto out = pgreplica::conf::WithKeyTables(text.str());
  if (!out) {
    std::cerr << "pgreplica-gendoc: " << path << ": " << out.error().message << ": "
              << out.error().detail << "\n";
    return 1;
  }
  if (*out != text.str() && !Write(path, *out)) {
    std::cerr << "pgreplica-gendoc: could not write " << path << "\n";
    return 1;
  }
  return 0;
}

int WriteManAndCompletion(const std::string& man_dir, const std::string& completion,
                          const pgreplica::cli::InstallPaths& paths) {
  CLI::App app{pgreplica::cli::kProgramDescription, pgreplica::cli::kProgramName};
  pgreplica::cli::Runner runner;
  pgreplica::cli::BuildApp(app, runner, {});
  std::error_code ec;
  std::filesystem::create_directories(man_dir, ec);
  // Pages of commands that no longer exist must not linger in the build directory.
  for (const auto& e : std::filesystem::directory_iterator(man_dir, ec))
    if (e.path().extension() == ".1") std::filesystem::remove(e.path(), ec);
  for (const auto& page : pgreplica::cli::ManPages(app, pgreplica::kVersion, Date(), paths)) {
    if (!Write(std::filesystem::path(man_dir) / (page.name + ".1"), page.roff)) {
      std::cerr << "pgreplica-gendoc: could not write " << page.name << ".1 in " << man_dir << "\n";
      return 1;
    }
  }
  std::filesystem::create_directories(std::filesystem::path(completion).parent_path(), ec);
  if (!Write(completion, pgreplica::cli::BashCompletion(app))) {
    std::cerr << "pgreplica-gendoc: could not write " << completion << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App gen{
      "writes pgreplica's man pages and bash completion, or the tables of keys in "
      "docs/configuration.md",
      "pgreplica-gendoc"};
  std::string man_dir, completion, key_tables;
  pgreplica::cli::InstallPaths paths;
  auto* man = gen.add_option("--man-dir", man_dir, "directory for the section 1 pages");
  auto* comp = gen.add_option("--completion", completion, "file for the bash completion");
  gen.add_option("--docdir", paths.docdir, "installed documentation directory");
  gen.add_option("--datadir", paths.datadir, "installed data directory of pgreplica");
  gen.add_option("--configuration-table", key_tables,
                 "rewrite the tables of keys in this file (docs/configuration.md) from the "
                 "configuration's schema")
      ->excludes(man)
      ->excludes(comp);
  CLI11_PARSE(gen, argc, argv);
  if (!key_tables.empty()) return WriteKeyTables(key_tables);
  if (man_dir.empty() || completion.empty()) {
    std::cerr << "pgreplica-gendoc: --man-dir and --completion are required\n";
    return 2;
  }
  return WriteManAndCompletion(man_dir, completion, paths);
}
