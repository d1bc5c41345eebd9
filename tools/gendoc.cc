// pgreplica-gendoc: writes pgreplica's man pages and bash completion from its command table
// (src/cli/app.h), at build time. Not installed.
//   pgreplica-gendoc --man-dir DIR --completion FILE [--docdir DIR] [--datadir DIR]
// The pages' date is SOURCE_DATE_EPOCH's (reproducible builds), else none.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/app.h"
#include "cli/manual.h"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App gen{"writes pgreplica's man pages and bash completion", "pgreplica-gendoc"};
  std::string man_dir, completion;
  pgreplica::cli::InstallPaths paths;
  gen.add_option("--man-dir", man_dir, "directory for the section 1 pages")->required();
  gen.add_option("--completion", completion, "file for the bash completion")->required();
  gen.add_option("--docdir", paths.docdir, "installed documentation directory");
  gen.add_option("--datadir", paths.datadir, "installed data directory of pgreplica");
  CLI11_PARSE(gen, argc, argv);

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
