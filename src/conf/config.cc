#include "conf/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/dirfd.h"
#include "common/fs.h"
#include "common/text.h"
#include "conf/schema.h"
#include "conf/trust.h"
#include "conf/validate.h"
#include "conf/yaml_text.h"

namespace pgreplica::conf {

namespace {

// The WARNING thresholds and the CRITICAL ones that CheckThresholds judges together.
struct ThresholdPair {
  const char* warn_key;
  int CheckConfig::*warn;
  const char* crit_key;
  int CheckConfig::*crit;
};
constexpr ThresholdPair kThresholdPairs[] = {
    {"check.retained_warn_mb", &CheckConfig::retained_warn_mb, "check.retained_crit_mb",
     &CheckConfig::retained_crit_mb},
    {"check.lag_warn_mb", &CheckConfig::lag_warn_mb, "check.lag_crit_mb",
     &CheckConfig::lag_crit_mb},
    {"check.lag_warn_seconds", &CheckConfig::lag_warn_seconds, "check.lag_crit_seconds",
     &CheckConfig::lag_crit_seconds},
};

bool IsSection(const std::string& prefix) {
  for (const auto& d : Schema())
    if (std::string_view(d.key).starts_with(prefix + ".")) return true;
  return false;
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours ("primray" is one edit from "primary").
size_t EditDistance(const std::string& a, const std::string& b) {
  // Three rows: the one before the previous is what a transposition looks back at.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string LastComponent(const std::string& key) { return key.substr(key.rfind('.') + 1); }
std::string Parent(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? "" : key.substr(0, dot);
}

// Every section ("local", "local.service") and key of the schema, in file order.
const std::vector<std::string>& AllNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    auto add = [&](const std::string& n) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    };
    for (const auto& d : Schema()) {
      std::string key = d.key;
      for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1))
        add(key.substr(0, dot));
      add(key);
    }
    return out;
  }();
  return names;
}

// The names valid directly under `section` ("" for the top level), in file order.
std::vector<std::string> ChildrenOf(const std::string& section) {
  std::vector<std::string> out;
  for (const auto& n : AllNames())
    if (Parent(n) == section) out.push_back(LastComponent(n));
  return out;
}

// The hint for an unknown `key` found under `section`: the nearest valid name,
// else the names valid there.
std::string UnknownKeyHint(const std::string& key, const std::string& section) {
  if (auto s = SuggestKey(key)) {
    std::string hint = fmt::format("Did you mean \"{}\"?", *s);
    if (Parent(*s) != section) {
      hint += Parent(*s).empty() ? fmt::format(" In the file it is \"{}:\" at the top level.", *s)
                                 : fmt::format(" In the file it is \"{}:\" under \"{}:\".",
                                               LastComponent(*s), Parent(*s));
    }
    return hint;
  }
  std::string names;
  for (const auto& c : ChildrenOf(section)) names += (names.empty() ? "" : ", ") + c;
  return fmt::format("The valid keys {} are: {}. See docs/configuration.md.",
                     section.empty() ? "at the top level" : "under \"" + section + "\"", names);
}

// Converts a text value to the key's type; the reason when it does not fit.
Problem Convert(Type type, const std::string& text, Value& out) {
  out.text = text;
  switch (type) {
    case Type::kString:
    case Type::kStringList:
      return std::nullopt;
    case Type::kInt: {
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out.number);
      if (!text.empty() && ec == std::errc::result_out_of_range &&
          ptr == text.data() + text.size()) {
        // Digits beyond long long: out of every key's range, which the key's check says.
        out.number = text.front() == '-' ? std::numeric_limits<long long>::min()
                                         : std::numeric_limits<long long>::max();
        return std::nullopt;
      }
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        return fmt::format("\"{}\" is not an integer.", Printable(text));
      return std::nullopt;
    }
    case Type::kBool: {
      static const std::set<std::string> yes = {"true", "yes", "on", "1"};
      static const std::set<std::string> no = {"false", "no", "off", "0"};
      if (yes.count(text))
        out.flag = true;
      else if (no.count(text))
        out.flag = false;
      else
        return fmt::format("\"{}\" is not a boolean (true or false).", Printable(text));
      return std::nullopt;
    }
  }
  return std::nullopt;
}

const char* NodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing (null)";
    default:
      return "a scalar";
  }
}

class Loader {
 public:
  explicit Loader(std::string source) : source_(std::move(source)) {}

  Status Walk(const YAML::Node& node, const std::string& prefix, Config& config) {
    if (!node.IsMap()) {
      return Invalid(prefix.empty() ? "(top level)" : prefix, node,
                     fmt::format("Expected a mapping of keys, found {}.", NodeKind(node)));
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node k = it->first;
      YAML::Node v = it->second;
      if (!k.IsScalar())
        return Invalid(prefix.empty() ? "(top level)" : prefix, k, "Keys must be plain names.");
      std::string name = k.Scalar();
      std::string path = prefix.empty() ? name : prefix + "." + name;
      if (!seen.insert(name).second) {
        return Fail(ErrorKind::kConfigInvalid,
                    fmt::format("duplicate configuration key \"{}\" {}", path, Where(k)), "",
                    "Remove one of the two entries.");
      }
      if (const KeyDef* def = FindKey(path)) {
        if (auto ok = SetFromNode(*def, v, config); !ok) return ok;
        config.keys_in_file.push_back(path);
      } else if (IsSection(path)) {
        if (v.IsNull()) continue;
        if (auto ok = Walk(v, path, config); !ok) return ok;
      } else {
        return Fail(
            ErrorKind::kConfigInvalid,
            fmt::format("unrecognized configuration key \"{}\" {}", Printable(path), Where(k)), "",
            UnknownKeyHint(path, prefix));
      }
    }
    return {};
  }

  Status SetFromNode(const KeyDef& def, const YAML::Node& v, Config& config) {
    Value value;
    if (def.access.type == Type::kStringList) {
      if (!v.IsSequence())
        return Invalid(def.key, v,
                       fmt::format("Expected a list of strings, found {}.", NodeKind(v)));
      for (const auto& item : v) {
        if (!item.IsScalar())
          return Invalid(def.key, item,
                         fmt::format("Expected a string, found {}.", NodeKind(item)));
        value.list.push_back(item.Scalar());
      }
    } else if (v.IsNull() && def.access.type == Type::kString) {
      value.text.clear();
    } else if (!v.IsScalar()) {
      return Invalid(
          def.key, v,
          fmt::format("Expected {} {}, found {}.", def.access.type == Type::kInt ? "an" : "a",
                      TypeName(def.access.type), NodeKind(v)));
    } else if (auto p = Convert(def.access.type, v.Scalar(), value)) {
      return Invalid(def.key, v, *p);
    }
    if (auto p = def.access.set(config, value)) return Invalid(def.key, v, *p);
    return {};
  }

 private:
  std::string Where(const YAML::Node& n) const {
    return fmt::format("in file \"{}\" line {}", source_, n.Mark().line + 1);
  }
  std::unexpected<Error> Invalid(const std::string& key, const YAML::Node& n,
                                 const std::string& why) const {
    return Fail(ErrorKind::kConfigInvalid,
                fmt::format("invalid value for configuration key \"{}\" {}", key, Where(n)), why,
                "See docs/configuration.md for the valid keys and values.");
  }

  std::string source_;
};

}  // namespace

std::optional<std::string> SuggestKey(const std::string& key, bool keys_only) {
  // The nearest name: "primray" -> "primary", "primary_hots" -> "primary.host",
  // "local.servce.unit" -> "local.service.unit".
  std::optional<std::string> best;
  size_t best_d = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& name : AllNames()) {
    if (keys_only && !FindKey(name)) continue;
    size_t dist = EditDistance(key, name);
    // An abbreviation ("state_dir" for "state_directory") is close too.
    if (key.size() >= 4 && name.starts_with(key)) dist = std::min<size_t>(dist, 1);
    if (dist < best_d) {
      best_d = dist;
      best = name;
    }
  }
  if (best) return best;
  // A key written in the wrong section: "port" at the top level -> "primary.port".
  std::string last = LastComponent(key);
  for (const auto& d : Schema())
    if (LastComponent(d.key) == last) return std::string(d.key);
  return std::nullopt;
}

Result<Config> ParseConfig(const std::string& text, const std::string& source) {
  auto root = LoadYamlDocument(
      text, {.what = fmt::format("configuration file \"{}\"", source),
             .hint = "The file must be YAML: a mapping of sections such as \"primary:\" and "
                     "\"local:\"."});
  if (!root) return std::unexpected(root.error());
  Config config;
  config.source = source;
  if (root->IsNull()) return config;  // an empty file means all defaults
  Loader loader(source);
  if (auto ok = loader.Walk(*root, "", config); !ok) return std::unexpected(ok.error());
  return config;
}

Result<Config> LoadConfig(const std::string& path) {
  std::string file = path;
  if (file.empty()) {
    struct stat st {};
    if (stat(kDefaultConfigPath, &st) != 0) return Config{};
    file = kDefaultConfigPath;
  }
  auto text = ReadFileByTrustedPath(file, 1 << 20);
  if (!text) {
    Error e = text.error();
    if (e.kind == ErrorKind::kInsecureFile) {
      // A link another user could have planted: said as a refusal, with the link named.
      e.detail = AsSentence(e.message) + " " + e.detail;
      e.message =
          fmt::format("refusing to read configuration file \"{}\" as root", Printable(file));
      return std::unexpected(e);
    }
    // "could not open file \"F\": No such file" -> "could not read configuration file
    // \"F\": No such file"; a message without a reason keeps its text as the detail.
    std::string reason = e.message;
    if (auto colon = reason.rfind("\": "); colon != std::string::npos) {
      reason = reason.substr(colon + 3);
    } else {
      if (!e.detail.empty()) e.detail = " " + e.detail;
      e.detail = AsSentence(reason) + e.detail;
      reason.clear();
    }
    e.message = reason.empty()
                    ? fmt::format("could not read configuration file \"{}\"", file)
                    : fmt::format("could not read configuration file \"{}\": {}", file, reason);
    e.kind = ErrorKind::kFileAccess;
    e.hint = path.empty() ? "Check that the file is readable by this user."
                          : "Check the path given and that the file is readable by this user.";
    return std::unexpected(e);
  }
  auto config = ParseConfig(*text, file);
  if (!config) return config;
  const ServiceConfig& svc = config->local.service;
  if (!svc.start.empty() || !svc.stop.empty() || !svc.status.empty()) {
    config->local.service.commands_source = file;
    // Judged on the file as read through fds that follow no planted link, and the commands
    // accepted only if that is the text parsed above; the fix is said by path.
    std::string judged;
    config->local.service.commands_writable_by = WritableByOthers(file, &judged);
    if (config->local.service.commands_writable_by.empty() && judged != *text)
      config->local.service.commands_writable_by = "It changed while it was read.";
    if (!config->local.service.commands_writable_by.empty()) {
      auto untrusted = FindUntrusted(file);
      config->local.service.commands_fix =
          untrusted ? untrusted->fix
                    : "Move the file to a directory that only root can write, such as "
                      "/etc/pgreplica.";
    }
  }
  return config;
}

Status SetKey(Config& config, const std::string& key, const std::string& text,
              const std::string& option) {
  const KeyDef* def = FindKey(key);
  if (def == nullptr) {
    Error e{ErrorKind::kUsage,
            fmt::format("unrecognized configuration key \"{}\" in {}", Printable(key), option), "",
            ""};
    auto s = SuggestKey(key, /*keys_only=*/true);
    e.hint = s ? fmt::format("Did you mean \"{}\"?", *s)
               : "See docs/configuration.md for the valid keys.";
    return std::unexpected(e);
  }
  auto bad = [&](const std::string& why) {
    return Fail(ErrorKind::kUsage, fmt::format("invalid value for {}: \"{}\"", option, text), why);
  };
  Value value;
  if (def->access.type == Type::kStringList) {
    auto n = LoadYamlDocument(text, {.what = fmt::format("the value of {}", option)});
    if (!n) {
      const Error& y = n.error();
      return bad(
          fmt::format("Expected a list such as [\"a\", \"b\"]: {}",
                      y.kind == ErrorKind::kConfigSyntax ? y.detail : AsSentence(y.message)));
    }
    if (!n->IsSequence()) return bad("Expected a list such as [\"a\", \"b\"].");
    try {
      for (const auto& item : *n) value.list.push_back(item.as<std::string>());
    } catch (const YAML::Exception& e) {
      return bad(fmt::format("Expected a list such as [\"a\", \"b\"]: {}.", e.msg));
    }
  } else if (auto p = Convert(def->access.type, text, value)) {
    return bad(*p);
  }
  if (auto p = def->access.set(config, value)) return bad(*p);
  return {};
}

Status ApplyOverride(Config& config, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Fail(ErrorKind::kUsage, fmt::format("invalid --set argument \"{}\"", assignment),
                "The argument must have the form key=value.",
                "For example: --set primary.port=5433");
  }
  std::string key = assignment.substr(0, eq);
  if (eq + 1 == assignment.size()) {
    // "--set KEY=": the key's built-in default, whatever its type.
    if (const KeyDef* def = FindKey(key)) {
      def->access.reset(config);
      return {};
    }
  }
  return SetKey(config, key, assignment.substr(eq + 1), fmt::format("--set {}", key));
}

Status CheckThresholds(const Config& config, ErrorKind kind, const std::string& where) {
  for (const ThresholdPair& p : kThresholdPairs) {
    int warn = config.check.*p.warn, crit = config.check.*p.crit;
    if (warn <= crit) continue;
    return Fail(kind, fmt::format("inconsistent thresholds {}", where),
                fmt::format("{} ({}) is above {} ({}): a WARNING threshold must not exceed its "
                            "CRITICAL one, or the check would skip WARNING.",
                            p.warn_key, warn, p.crit_key, crit),
                "Lower the WARNING threshold or raise the CRITICAL one.");
  }
  return {};
}

std::vector<std::string> ThresholdKeys() {
  std::vector<std::string> out;
  for (const ThresholdPair& p : kThresholdPairs) out.insert(out.end(), {p.warn_key, p.crit_key});
  return out;
}

nlohmann::json EffectiveSettings(const Config& config) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& d : Schema()) {
    nlohmann::json* at = &out;
    std::string key = d.key;
    for (size_t dot; (dot = key.find('.')) != std::string::npos; key.erase(0, dot + 1))
      at = &(*at)[key.substr(0, dot)];
    (*at)[key] = d.access.get(config);
  }
  return out;
}

const std::vector<KeyInfo>& ConfigKeys() {
  static const std::vector<KeyInfo> keys = [] {
    std::vector<KeyInfo> out;
    for (const auto& d : Schema()) {
      KeyInfo k{.key = d.key,
                .type = TypeName(d.access.type),
                .help = d.help,
                .option = d.option.names ? d.option.names : "",
                .commands = {},
                .doc_type = d.doc.type,
                .doc_default = d.doc.default_value,
                .doc_meaning = d.doc.meaning};
      for (auto c : d.option.commands) k.commands.emplace_back(c);
      out.push_back(std::move(k));
    }
    return out;
  }();
  return keys;
}

Status RequirePrimaryHost(const Config& config, std::string_view needed_for) {
  if (!config.primary.host.empty()) return {};
  return Fail(ErrorKind::kConfigInvalid, "no primary host given",
              needed_for.empty()
                  ? "primary.host is not set in the configuration and --host was not given."
                  : fmt::format("{} primary.host, which is not set.", needed_for),
              "Set primary.host in the configuration file, or pass --host.");
}

}  // namespace pgreplica::conf
