#pragma once
// pgreplica's man pages and bash completion, written from the command table
// (app.h) so that they say exactly what --help says: every command, option,
// option value and description comes from the table; only the prose that
// --help has no room for (longer descriptions, examples) comes from
// manual_text.cc. tools/gendoc.cc writes them at build time.

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pgreplica::cli {

// Where the installed files are, for the FILES sections (absolute paths).
struct InstallPaths {
  std::string docdir = "/usr/share/doc/pgreplica";
  std::string datadir = "/usr/share/pgreplica";
};

struct ManPage {
  std::string name;  // "pgreplica", "pgreplica-clone", "pgreplica-jobs"
  std::string roff;  // the page, section 1
};

// pgreplica(1) and one page per top-level command of `app` (a command with
// subcommands, such as "jobs", gets one page describing each of them).
// Hidden commands and options (an empty group) are left out. `date` may be
// empty.
std::vector<ManPage> ManPages(const CLI::App& app, std::string_view version, std::string_view date,
                              const InstallPaths& paths);

// A bash completion script for `app` defining the function _pgreplica and
// registering it for "pgreplica": commands, options, the values of options with
// a fixed set of them (--output), file names for FILE options and path
// configuration keys, and job ids for "jobs show" (from "pgreplica jobs list
// --output json" with the --config, --set and --state-directory options on the
// line).
std::string BashCompletion(const CLI::App& app);

// Whether an option takes a value (a flag does not).
inline bool TakesValue(const CLI::Option& opt) { return opt.get_expected_max() != 0; }

// The visible subcommands of `app`, in the order --help lists them.
std::vector<const CLI::App*> VisibleSubcommands(const CLI::App& app);

}  // namespace pgreplica::cli
