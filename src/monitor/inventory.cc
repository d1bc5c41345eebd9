#include "monitor/inventory.h"

#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/dirfd.h"
#include "common/fs.h"
#include "common/number.h"
#include "common/text.h"
#include "conf/validate.h"
#include "conf/yaml_text.h"
#include "primary/target.h"

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
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node k = it->first;
    YAML::Node v = it->second;
    std::string key = k.IsScalar() ? k.Scalar() : "";
    if (!kNodeKeys.count(key) || (key == "name" && !allow_name))
      return Bad(source, k, fmt::format("unrecognized key \"{}\"", Printable(key)));
    if (!seen.insert(key).second) return Bad(source, k, fmt::format("duplicate key \"{}\"", key));
    if (!v.IsScalar())
      return Bad(source, v, fmt::format("invalid value for \"{}\"", key), "Expected a scalar.");
    std::string val = v.Scalar();
    auto check = [&](conf::Problem p) -> Status {
      if (p) return Bad(source, v, fmt::format("invalid value for \"{}\"", key), *p);
      return {};
    };
    Status ok;
    if (key == "host") {
      ok = check(conf::CheckHost(val));
      f.host = val;
    } else if (key == "port") {
      auto port = ParseInt(val);
      ok = check(!port || *port < 1 || *port > 65535
                     ? conf::Problem("The port must be an integer from 1 to 65535.")
                     : std::nullopt);
      f.port = port.value_or(0);
    } else if (key == "timeout") {
      // ParseDouble refuses nan and inf: "timeout: nan" passed a range check once.
      auto t = ParseDouble(val);
      ok = check(!t || *t <= 0 || *t > 3600
                     ? conf::Problem(fmt::format(
                           "\"{}\" is not a timeout: seconds, above 0 and at most 3600.", val))
                     : std::nullopt);
      f.timeout = t.value_or(5);
    } else if (key == "user") {
      ok = check(conf::CheckIdentifierText(val));
      f.user = val;
    } else if (key == "dbname") {
      ok = check(conf::CheckIdentifierText(val));
      f.dbname = val;
    } else if (key == "passfile") {
      ok = check(conf::CheckOptionalAbsolutePath(val));
      f.passfile = val;
    } else if (key == "name") {
      ok = check(val.empty() || val.size() > 100
                     ? conf::Problem("A node name has 1 to 100 characters.")
                     : conf::CheckNoControl(val));
    }
    if (!ok) return ok;
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
  auto loaded = conf::LoadYamlDocument(
      text,
      {.what = fmt::format("inventory \"{}\"", source),
       .hint = "An inventory is YAML: a mapping with a \"nodes:\" list (docs/monitoring.md)."});
  if (!loaded) return std::unexpected(loaded.error());
  const YAML::Node& root = *loaded;
  if (!root.IsMap() || !root["nodes"] || !root["nodes"].IsSequence())
    return Bad(source, root, "the inventory needs a \"nodes\" list");
  Fields defaults;
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (key != "nodes" && key != "defaults")
      return Bad(source, it->first, fmt::format("unrecognized key \"{}\"", Printable(key)));
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
  auto text = ReadFileByTrustedPath(path, 1 << 20);
  if (!text) {
    Error e = text.error();
    // The reason stays: the lower-level message becomes the first sentence of the detail.
    e.detail = e.detail.empty() ? AsSentence(e.message) : AsSentence(e.message) + " " + e.detail;
    if (e.kind == ErrorKind::kInsecureFile) {
      e.message = fmt::format("refusing to read inventory \"{}\" as root", Printable(path));
    } else {
      e.message = fmt::format("could not read inventory \"{}\"", Printable(path));
      e.kind = ErrorKind::kFileAccess;
    }
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
    // The local standby runs as the PostgreSQL OS user, who could as well run anything else on
    // its port: it never gets the primary's admin password file, only the local login.
    NodeSpec s{"local", replica::PrimaryAdminParams(c), timeout};
    s.params.host = "127.0.0.1";
    s.params.port = c.local.port;
    if (!c.local.admin_user.empty()) s.params.user = c.local.admin_user;
    s.params.passfile = c.local.admin_passfile;
    s.params.application_name = "pgreplica-status";
    out.push_back(s);
  }
  return out;
}

}  // namespace pgreplica::monitor
