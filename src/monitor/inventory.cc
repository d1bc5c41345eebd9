#include "monitor/inventory.h"

#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/fs.h"
#include "conf/validate.h"
#include "replica/target.h"

namespace pgreplica::monitor {

namespace {

struct Fields {
  std::string host, user, passfile, dbname;
  int port = 0;
  double timeout = 5;
};

const std::set<std::string> kNodeKeys = {"name",     "host",   "port",   "user",
                                         "passfile", "dbname", "timeout"};

std::unexpected<Error> Bad(const std::string& source, const YAML::Node& n, const std::string& what,
                           const std::string& detail = {}) {
  return Fail(ErrorKind::kConfigInvalid,
              fmt::format("{} in inventory \"{}\" line {}", what, source, n.Mark().line + 1),
              detail, "See docs/monitoring.md for the inventory format.");
}

Status ReadFields(const YAML::Node& map, const std::string& source, Fields& f, bool allow_name) {
  if (!map.IsMap()) return Bad(source, map, "expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node k = it->first;
    YAML::Node v = it->second;
    std::string key = k.Scalar();
    if (!kNodeKeys.count(key) || (key == "name" && !allow_name))
      return Bad(source, k, fmt::format("unrecognized key \"{}\"", key));
    if (!v.IsScalar())
      return Bad(source, v, fmt::format("invalid value for \"{}\"", key), "Expected a scalar.");
    std::string val = v.Scalar();
    if (key == "host") {
      if (auto p = conf::CheckHost(val)) return Bad(source, v, "invalid value for \"host\"", *p);
      f.host = val;
    } else if (key == "port" || key == "timeout") {
      double d = 0;
      size_t used = 0;
      try {
        d = std::stod(val, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != val.size())
        return Bad(source, v, fmt::format("invalid value for \"{}\"", key),
                   fmt::format("\"{}\" is not a number.", val));
      if (key == "port" && (d < 1 || d > 65535 || d != static_cast<int>(d)))
        return Bad(source, v, "invalid value for \"port\"",
                   "The port must be an integer from 1 to 65535.");
      if (key == "timeout" && (d <= 0 || d > 3600))
        return Bad(source, v, "invalid value for \"timeout\"",
                   "The timeout is in seconds, above 0 and at most 3600.");
      if (key == "port")
        f.port = static_cast<int>(d);
      else
        f.timeout = d;
    } else if (key == "user") {
      f.user = val;
    } else if (key == "passfile") {
      if (auto p = conf::CheckOptionalAbsolutePath(val))
        return Bad(source, v, "invalid value for \"passfile\"", *p);
      f.passfile = val;
    } else if (key == "dbname") {
      f.dbname = val;
    }
  }
  return {};
}

NodeSpec MakeSpec(const std::string& name, const Fields& f) {
  NodeSpec s;
  s.name = name;
  s.params.host = f.host;
  s.params.port = f.port;
  s.params.user = f.user;
  s.params.passfile = f.passfile;
  s.params.dbname = f.dbname.empty() ? "postgres" : f.dbname;
  s.params.application_name = "pgreplica-status";
  s.timeout = std::chrono::milliseconds(static_cast<long>(f.timeout * 1000));
  return s;
}

}  // namespace

Result<std::vector<NodeSpec>> ParseInventory(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorKind::kConfigSyntax, fmt::format("could not parse inventory \"{}\"", source),
                fmt::format("Line {}, column {}: {}.", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap() || !root["nodes"] || !root["nodes"].IsSequence())
    return Bad(source, root, "the inventory needs a \"nodes\" list");
  Fields defaults;
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string key = it->first.Scalar();
    if (key != "nodes" && key != "defaults")
      return Bad(source, it->first, fmt::format("unrecognized key \"{}\"", key));
  }
  if (root["defaults"]) {
    if (auto ok = ReadFields(root["defaults"], source, defaults, false); !ok)
      return std::unexpected(ok.error());
  }
  std::vector<NodeSpec> out;
  std::set<std::string> names;
  for (const auto& node : root["nodes"]) {
    Fields f = defaults;
    if (auto ok = ReadFields(node, source, f, true); !ok) return std::unexpected(ok.error());
    std::string name = node["name"] ? node["name"].Scalar()
                                    : f.host + ":" + std::to_string(f.port ? f.port : 5432);
    if (f.host.empty()) return Bad(source, node, "a node without \"host\"");
    if (!names.insert(name).second)
      return Bad(source, node, fmt::format("duplicate node name \"{}\"", name));
    out.push_back(MakeSpec(name, f));
  }
  if (out.empty()) return Bad(source, root["nodes"], "the inventory lists no nodes");
  return out;
}

Result<std::vector<NodeSpec>> LoadInventory(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text) {
    Error e = text.error();
    e.message = fmt::format("could not read inventory \"{}\"", path);
    e.kind = ErrorKind::kFileAccess;
    return std::unexpected(e);
  }
  return ParseInventory(*text, path);
}

std::vector<NodeSpec> NodesFromConfig(const conf::Config& c, bool primary, bool local) {
  std::vector<NodeSpec> out;
  auto timeout = std::chrono::milliseconds(c.connect_timeout * 1000);
  if (primary && !c.primary.host.empty()) {
    NodeSpec s{"primary", replica::PrimaryAdminParams(c), timeout};
    s.params.application_name = "pgreplica-status";
    out.push_back(s);
  }
  if (local && !c.local.data_directory.empty()) {
    NodeSpec s{"local", replica::PrimaryAdminParams(c), timeout};
    s.params.host = "127.0.0.1";
    s.params.port = c.local.port;
    s.params.application_name = "pgreplica-status";
    out.push_back(s);
  }
  return out;
}

}  // namespace pgreplica::monitor
