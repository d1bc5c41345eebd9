#pragma once
// The prose of the man pages that --help has no room for: a longer
// description and examples per command. Everything else on a page comes from
// the command table. A command without an entry still gets a complete page
// (description from --help, a generic example).

#include <string_view>

namespace pgreplica::cli {

struct CommandProse {
  std::string_view command;      // "clone", "jobs show": the words after "pgreplica"
  std::string_view description;  // paragraphs separated by blank lines
  // Examples: blocks separated by blank lines; in each, the first line says
  // what it does and the following lines are shell commands.
  std::string_view examples;
};

// The prose for `command` ("" for pgreplica itself), or nullptr.
const CommandProse* FindProse(std::string_view command);

}  // namespace pgreplica::cli
