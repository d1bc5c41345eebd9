// The bash completion script, written from the command table (see manual.h).

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/manual.h"

namespace pgreplica::cli {

namespace {

// Positional arguments completed by a function of the script: the job id of "jobs show", the
// file of "config check".
struct PositionalCompletion {
  const char* command;
  const char* positional;
  const char* function;
};
constexpr PositionalCompletion kPositionals[] = {{"jobs show", "id", "_pgreplica_job_ids"},
                                                 {"config check", "file", "_pgreplica_paths -f"}};

// What the value of an option is completed with: its fixed choices ("FORMAT:{text,json}"),
// file names for FILE options and configuration keys that are files, directory names for
// keys that are directories (an override's description ends with its key: "(local.bindir)").
std::string ValueCompletion(const CLI::Option& opt) {
  std::string type = opt.get_type_name();
  if (auto open = type.find(":{"); open != std::string::npos && type.back() == '}') {
    std::string words = type.substr(open + 2, type.size() - open - 3);
    for (char& c : words)
      if (c == ',') c = ' ';
    return fmt::format("COMPREPLY=($(compgen -W '{}' -- \"$cur\"))", words);
  }
  std::string key;
  const std::string& d = opt.get_description();
  if (!d.empty() && d.back() == ')') {
    auto open = d.rfind('(');
    if (open != std::string::npos) key = d.substr(open + 1, d.size() - open - 2);
  }
  if (key.ends_with("directory") || key.ends_with("bindir")) return "_pgreplica_paths -d";
  if (type.substr(0, type.find(':')) == "FILE" || key.ends_with("_file") ||
      key.ends_with("passfile"))
    return "_pgreplica_paths -f";
  return "";
}

std::string Quoted(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return "'" + out + "'";
}

struct Spec {
  std::string path;  // "" for pgreplica itself, "status", "jobs show"
  const CLI::App* app;
};

void Collect(const CLI::App& app, const std::string& path, std::vector<Spec>& out) {
  out.push_back({path, &app});
  for (const CLI::App* s : VisibleSubcommands(app))
    Collect(*s, path.empty() ? s->get_name() : path + " " + s->get_name(), out);
}

std::vector<std::string> Names(const CLI::Option& opt) {
  std::vector<std::string> out;
  for (const auto& s : opt.get_snames()) out.push_back("-" + s);
  for (const auto& l : opt.get_lnames()) out.push_back("--" + l);
  return out;
}

// The script; {} are the cases of _pgreplica_spec, _pgreplica_value and _pgreplica_positional.
constexpr char kScript[] =
    R"SH(# bash completion for pgreplica(1)                                 -*- shell-script -*-
# Generated from pgreplica's command table by tools/gendoc.cc: do not edit.
# Commands, options, the values of --output and of file and directory options,
# and the job ids of "pgreplica jobs show" (from "pgreplica jobs list", with the
# --config, --set and --state-directory options given on the line).

# _pgreplica_spec PATH: the subcommands, options, and options that take a value of a command.
_pgreplica_spec() {{
  case $1 in
{}    *) subs='' opts='' valopts='' ;;
  esac
}}

# Completes file (-f) or directory (-d) names.
_pgreplica_paths() {{
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  COMPREPLY=($(compgen "$1" -- "$cur"))
}}

# The ids of the jobs that "pgreplica jobs list" shows with the options of this line.
_pgreplica_job_ids() {{
  local ids
  ids=$("$prog" jobs list --output json "${{ctx[@]}}" 2>/dev/null |
    sed -n 's/^ *"id": "\([^"]*\)",\{{0,1\}}$/\1/p')
  COMPREPLY=($(compgen -W "$ids" -- "$cur"))
}}

# _pgreplica_value PATH OPTION: completes the value of OPTION.
_pgreplica_value() {{
  case "$1 $2" in
{}  esac
}}

# _pgreplica_positional PATH: completes a command's positional argument.
_pgreplica_positional() {{
  case $1 in
{}  esac
}}

_pgreplica() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local prog=${{COMP_WORDS[0]}} path='' subs opts valopts w name i=1 positionals=0
  local ctx=()
  prog=${{prog/#\~/$HOME}}
  COMPREPLY=()
  # Walk the words before the cursor: subcommands, options and their values.
  while ((i < COMP_CWORD)); do
    w=${{COMP_WORDS[i]}}
    _pgreplica_spec "$path"
    if [[ $w == -* ]]; then
      name=${{w%%=*}}
      if [[ " $valopts " == *" $name "* && $w != *=* ]]; then
        local value=${{COMP_WORDS[i+1]}} step=2
        if [[ $value == "=" ]]; then value=${{COMP_WORDS[i+2]}}; step=3; fi
        # "--set KEY=VALUE" is the words "--set" "KEY" "=" "VALUE" for bash.
        if [[ $name == --set && ${{COMP_WORDS[i+step]}} == "=" ]] && ((i + step < COMP_CWORD)); then
          value+="=${{COMP_WORDS[i+step+1]}}"
          ((step += 2))
        fi
        case $name in
          -c | --config | --set | --state-directory) ctx+=("$name" "$value") ;;
        esac
        ((i += step))
        continue
      fi
    elif [[ $w != "=" ]] && [[ " $subs " == *" $w "* ]]; then
      path=${{path:+$path }}$w
    elif [[ $w != "=" ]]; then
      ((positionals++))
    fi
    ((i++))
  done
  _pgreplica_spec "$path"
  # The value of an option: "--output VALUE", "--output=VALUE".
  local option=''
  if [[ $cur == "=" ]]; then
    option=$prev
    cur=''
  elif [[ $prev == "=" ]]; then
    option=${{COMP_WORDS[COMP_CWORD-2]}}
  elif ((COMP_CWORD > 1)) && [[ " $valopts " == *" $prev "* ]]; then
    option=$prev
  fi
  if [[ -n $option ]]; then
    [[ " $valopts " == *" $option "* ]] && _pgreplica_value "$path" "$option"
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif ((positionals == 0)); then
    _pgreplica_positional "$path"
  fi
  return 0
}}
complete -F _pgreplica pgreplica
)SH";

// The case lines of the script's three functions, from the command table.
struct Cases {
  std::string spec, value, positional;
};

Cases CasesOf(const CLI::App& app) {
  std::vector<Spec> specs;
  Collect(app, "", specs);
  Cases c;
  for (const auto& [path, cmd] : specs) {
    std::vector<std::string> subs, opts, valopts;
    for (const CLI::App* s : VisibleSubcommands(*cmd)) subs.push_back(s->get_name());
    for (const CLI::Option* o : cmd->get_options()) {
      if (o->get_group().empty() || o->get_positional()) continue;
      auto names = Names(*o);
      opts.insert(opts.end(), names.begin(), names.end());
      if (!TakesValue(*o)) continue;
      valopts.insert(valopts.end(), names.begin(), names.end());
      std::string action = ValueCompletion(*o);
      if (action.empty()) continue;
      std::string labels;
      for (const auto& n : names)
        labels += (labels.empty() ? "" : "|") + fmt::format("'{} {}'", path, n);
      c.value += fmt::format("    {}) {} ;;\n", labels, action);
    }
    c.spec += fmt::format("    '{}') subs={} opts={} valopts={} ;;\n", path, Quoted(subs),
                          Quoted(opts), Quoted(valopts));
    for (const auto& p : kPositionals) {
      if (path != p.command) continue;
      for (const CLI::Option* o : cmd->get_options())
        if (o->get_positional() && o->get_name() == p.positional)
          c.positional += fmt::format("    '{}') {} ;;\n", path, p.function);
    }
  }
  return c;
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  Cases c = CasesOf(app);
  return fmt::format(kScript, c.spec, c.value, c.positional);
}

}  // namespace pgreplica::cli
