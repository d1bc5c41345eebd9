#pragma once
// The command table: the one place where pgreplica's commands are registered.
// main parses the command line with it; the documentation generator
// (tools/gendoc.cc) walks the same table to write the man pages and the shell
// completion, so that neither can drift from --help.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli/common.h"

namespace pgreplica::cli {

// The program's name and one-line description, as --help prints them.
inline constexpr const char* kProgramName = "pgreplica";
inline constexpr const char* kProgramDescription =
    "pgreplica: safe and boring PostgreSQL hot standbys";

// Adds the version flag, the footer and every command to `app` (constructed
// with kProgramDescription and kProgramName). The chosen command's callback
// sets `runner`. `argv` is the whole command line (clone --detach starts itself
// again); `app` and `runner` must outlive the parse.
void BuildApp(CLI::App& app, Runner& runner, const std::vector<std::string>& argv);

}  // namespace pgreplica::cli
