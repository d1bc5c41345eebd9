#pragma once
// The tables of keys in docs/configuration.md, written from the schema (ConfigKeys): one
// table per section, each between the lines
//   <!-- BEGIN generated: keys SECTION -->
//   <!-- END generated -->
// SECTION is a key's first component (primary, replication, local, clone, check), or
// "general" for the keys at the top level. pgreplica-gendoc --configuration-table FILE
// rewrites them; a unit test fails when the file differs from what the schema says.

#include <string>
#include <string_view>

#include "common/error.h"

namespace pgreplica::conf {

// The markdown table of the keys of `section`, in file order, header included.
std::string KeyTable(std::string_view section);

// `markdown` with the text between each pair of markers replaced by its section's table.
// kConfigInvalid when a block has no end, names a section without keys, or when a section
// with keys has no block (its keys would be undocumented).
Result<std::string> WithKeyTables(std::string_view markdown);

}  // namespace pgreplica::conf
