#pragma once
// Command-line errors found by the parser (CLI11), said the way pgreplica says
// everything else, and in the format the command line asked for.

#include <string>

#include <CLI/CLI.hpp>

namespace pgreplica::cli {

// The DETAIL sentence for a parse error: CLI11's phrases in pgreplica's words
// ("--port was given more than once", "--host needs a value", "--inventory and
// --host cannot be used together"), anything else as CLI11 said it; always a
// complete sentence ending with a period.
std::string DescribeParseError(const CLI::ParseError& error);

// Whether the command line asks for JSON output (-o json, --output json,
// --output=json, -ojson), looked up without the parser, which may be what
// failed.
bool AsksForJson(int argc, const char* const* argv);

}  // namespace pgreplica::cli
