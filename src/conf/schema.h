#pragma once
// The schema of the configuration, inside conf/: one row per key (schema.cc), the only place
// a key is declared. A row says how the key is read, checked, stored, reset and reported,
// which commands take it as an option of their own, and its row in docs/configuration.md.
// config.h presents it to the rest of the program (ConfigKeys).

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "conf/config.h"
#include "conf/validate.h"

namespace pgreplica::conf {

enum class Type { kString, kInt, kBool, kStringList };

// "string", "integer", "boolean" or "list of strings".
const char* TypeName(Type t);

// A value already converted to the key's type.
struct Value {
  std::string text;
  long long number = 0;
  bool flag = false;
  std::vector<std::string> list;
};

// A key's type, and how it is set (validated, then stored; the reason when the value is not
// acceptable), reset to its built-in default, and read. Made by the builders in schema.cc
// (Str, Int, Bool, List), so that the type and the field's access cannot disagree.
struct Access {
  Type type;
  std::function<Problem(Config&, const Value&)> set;
  std::function<void(Config&)> reset;
  std::function<nlohmann::json(const Config&)> get;
};

// The option that sets a key on the command line, and the commands that take it.
struct OptionDef {
  const char* names = nullptr;  // CLI11 names ("--host", "-D,--data-directory"); null: none
  std::vector<std::string_view> commands;  // command paths: "clone", "primary setup"
};

// A key's row in docs/configuration.md (markdown): its type, default and meaning.
struct DocRow {
  const char* type;
  const char* default_value;
  const char* meaning;
};

struct KeyDef {
  const char* key;   // dotted, as in the file: "local.service.type"
  Access access;     // its type (access.type) and how it is set, reset and read
  const char* help;  // one line; the option's help text in --help
  OptionDef option;
  DocRow doc;
};

// Every key, in file order.
std::span<const KeyDef> Schema();

// The key named `key` (dotted), or null.
const KeyDef* FindKey(std::string_view key);

}  // namespace pgreplica::conf
