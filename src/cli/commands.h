#pragma once
// One entry point per command; each lives in its own file and registers a
// subcommand whose callback sets the Runner that main runs.

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace pgreplica::cli {

void AddDoctorCommand(CLI::App& app, Runner& runner);
void AddConfigCommand(CLI::App& app, Runner& runner);
void AddPrimaryCommand(CLI::App& app, Runner& runner);
void AddPgpassCommand(CLI::App& app, Runner& runner);
// `argv` is the whole command line (clone --detach starts itself again).
void AddCloneCommand(CLI::App& app, Runner& runner, const std::vector<std::string>& argv);
void AddJobsCommand(CLI::App& app, Runner& runner);
void AddStatusCommand(CLI::App& app, Runner& runner);
void AddCheckCommand(CLI::App& app, Runner& runner);
void AddDecommissionCommand(CLI::App& app, Runner& runner);

}  // namespace pgreplica::cli
