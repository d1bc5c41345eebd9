#pragma once
// One YAML document from text a user supplied (a configuration file, an inventory, a --set
// value), loaded within bounds: yaml-cpp's own loader never returns on some malformed text
// and expands aliases into copies, so a first pass over the events counts the documents and
// the aliases before anything is built. Errors name the input as `what` (for example
// `configuration file "/etc/pgreplica/pgreplica.yml"`).

#include <string>

#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace pgreplica::conf {

struct YamlInput {
  std::string what;  // `configuration file "F"`, `inventory "F"`, ...
  std::string hint;  // said with a syntax error: what the text should look like
};

// The one document in `text` (a null node for empty text). Refused: a NUL byte, more than one
// document, more than 100 aliases, nesting deeper than yaml-cpp's limit, and text the parser
// cannot read — each as a kConfigSyntax or kConfigInvalid error with line and column.
Result<YAML::Node> LoadYamlDocument(const std::string& text, const YamlInput& input);

}  // namespace pgreplica::conf
