// The man pages and the completion script as written from the command table, and the files
// the package installs beside them (the configuration example). The comparison of the
// installed pages with --help is tests/packaging/test_manpages.py.

#include "cli/manual.h"

#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/app.h"
#include "conf/config.h"

namespace pgreplica::cli {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(PGREPLICA_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Table {
  CLI::App app{kProgramDescription, kProgramName};
  Runner runner;
  Table() { BuildApp(app, runner, {}); }
};

TEST(Manual, OnePagePerCommandAndOneForPgreplica) {
  Table t;
  auto pages = ManPages(t.app, "9.9", "2025-01-01", {});
  std::vector<std::string> names;
  for (const auto& p : pages) names.push_back(p.name);
  std::vector<std::string> expected = {"pgreplica"};
  for (const CLI::App* c : VisibleSubcommands(t.app))
    expected.push_back("pgreplica-" + c->get_name());
  EXPECT_EQ(names, expected);
  EXPECT_GE(names.size(), 9u);
  for (const auto& p : pages) {
    for (const char* section :
         {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT",
          ".SH FILES", ".SH EXAMPLES", ".SH \"SEE ALSO\""})
      EXPECT_NE(p.roff.find(section), std::string::npos) << p.name << " lacks " << section;
    EXPECT_NE(p.roff.find("\"pgreplica 9.9\""), std::string::npos) << p.name;
    // No line may start with a control character that is not a macro of ours.
    std::istringstream in(p.roff);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] == '\'') ADD_FAILURE() << p.name << ": " << line;
  }
}

TEST(Manual, HiddenOptionsStayHidden) {
  Table t;
  for (const auto& p : ManPages(t.app, "1", "", {}))
    EXPECT_EQ(p.roff.find("job\\-id"), std::string::npos) << p.name;
}

TEST(Manual, CheckDocumentsNagiosCodesOthersTheErrorTable) {
  Table t;
  for (const auto& p : ManPages(t.app, "1", "", {})) {
    if (p.name == "pgreplica-check") {
      EXPECT_NE(p.roff.find(".B 2\nCRITICAL"), std::string::npos) << p.roff;
    } else {
      EXPECT_NE(p.roff.find(".B 12\nanother pgreplica run holds the lock"), std::string::npos)
          << p.name;
    }
  }
}

// config check's FILE is optional (--config or the default path otherwise), jobs show's id is
// not: the synopsis says which.
TEST(Manual, SynopsisBracketsOptionalArguments) {
  Table t;
  for (const auto& p : ManPages(t.app, "1", "", {})) {
    if (p.name == "pgreplica-config") {
      EXPECT_NE(p.roff.find(".B pgreplica config check\n[\\fIOPTIONS\\fR] [\\fIfile\\fR]\n"),
                std::string::npos)
          << p.roff;
    } else if (p.name == "pgreplica-jobs") {
      EXPECT_NE(p.roff.find(".B pgreplica jobs show\n[\\fIOPTIONS\\fR] \\fIid\\fR\n"),
                std::string::npos)
          << p.roff;
    }
  }
}

TEST(Completion, ListsEveryCommandAndOutputFormats) {
  Table t;
  std::string script = BashCompletion(t.app);
  EXPECT_NE(script.find("complete -F _pgreplica pgreplica"), std::string::npos);
  EXPECT_NE(script.find("'status --output') COMPREPLY=($(compgen -W 'text json prometheus'"),
            std::string::npos);
  EXPECT_NE(script.find("'jobs show') _pgreplica_job_ids"), std::string::npos);
  EXPECT_NE(script.find("'config check') _pgreplica_paths -f"), std::string::npos);
  for (const CLI::App* c : VisibleSubcommands(t.app))
    EXPECT_NE(script.find(c->get_name()), std::string::npos) << c->get_name();
}

TEST(InstalledFiles, PathsAreTheProgramsDefaults) {
  EXPECT_EQ(std::string(PGREPLICA_INSTALL_CONFIG_DIR) + "/pgreplica.yaml",
            conf::kDefaultConfigPath);
  EXPECT_EQ(std::string(PGREPLICA_INSTALL_STATE_DIR), conf::Config{}.state_directory);
}

TEST(InstalledFiles, ConfigurationExampleChangesNothing) {
  std::string text = ReadSource("examples/pgreplica.yaml");
  ASSERT_FALSE(text.empty());
  auto c = conf::ParseConfig(text, "examples/pgreplica.yaml");
  ASSERT_TRUE(c) << c.error().message;
  conf::Config defaults;
  EXPECT_EQ(c->primary.host, "");
  EXPECT_EQ(c->replication.password_file, "");
  EXPECT_EQ(c->local.data_directory, "");
  EXPECT_EQ(c->local.service.type, defaults.local.service.type);
  EXPECT_EQ(c->state_directory, defaults.state_directory);
  EXPECT_TRUE(c->local.service.start.empty());
}

TEST(InstalledFiles, ConfigurationExampleIsValidWhenUncommented) {
  // Every commented key line ("# key:", "#   key:") uncommented once must be a valid file:
  // a misspelt key in the example would be copied by every administrator.
  std::string text = ReadSource("examples/pgreplica.yaml");
  static const std::regex key_line(R"(^# ( *[a-z_]+:.*)$)");
  std::istringstream in(text);
  std::string out;
  int keys = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, key_line)) {
      out += m[1].str() + "\n";
      ++keys;
    }
  }
  EXPECT_GE(keys, 20);
  auto c = conf::ParseConfig(out, "uncommented example");
  ASSERT_TRUE(c) << c.error().message << "\n" << out;
  EXPECT_EQ(c->primary.host, "primary.example.com");
  EXPECT_EQ(c->local.service.unit, "postgresql@15-main");
}

}  // namespace
}  // namespace pgreplica::cli
