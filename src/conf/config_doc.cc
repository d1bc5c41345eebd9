#include "conf/config_doc.h"

#include <set>

#include <fmt/format.h>

#include "conf/config.h"

namespace pgreplica::conf {

namespace {

constexpr std::string_view kBegin = "<!-- BEGIN generated: keys ";
constexpr std::string_view kBeginEnd = " -->\n";
constexpr std::string_view kEnd = "<!-- END generated -->\n";

std::string SectionOf(const std::string& key) {
  auto dot = key.find('.');
  return dot == std::string::npos ? "general" : key.substr(0, dot);
}

std::unexpected<Error> Broken(const std::string& why) {
  return Fail(ErrorKind::kConfigInvalid, "invalid generated blocks in the documentation", why,
              "Each table of keys is between \"<!-- BEGIN generated: keys SECTION -->\" and "
              "\"<!-- END generated -->\" lines.");
}

}  // namespace

std::string KeyTable(std::string_view section) {
  std::string out = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : ConfigKeys()) {
    if (SectionOf(k.key) != section) continue;
    out +=
        fmt::format("| `{}` | {} | {} | {} |\n", k.key, k.doc_type, k.doc_default, k.doc_meaning);
  }
  return out;
}

Result<std::string> WithKeyTables(std::string_view markdown) {
  std::set<std::string> sections;
  for (const auto& k : ConfigKeys()) sections.insert(SectionOf(k.key));
  std::string out;
  size_t at = 0;
  while (true) {
    size_t begin = markdown.find(kBegin, at);
    if (begin == std::string_view::npos) break;
    size_t name_at = begin + kBegin.size();
    size_t name_end = markdown.find(kBeginEnd, name_at);
    size_t end = markdown.find(kEnd, name_at);
    if (name_end == std::string_view::npos || end == std::string_view::npos || name_end > end)
      return Broken(fmt::format("A block that starts at byte {} has no end.", begin));
    std::string section(markdown.substr(name_at, name_end - name_at));
    if (sections.erase(section) == 0)
      return Broken(
          fmt::format("\"{}\" is not a section of the configuration, or a second "
                      "block of one.",
                      section));
    size_t body = name_end + kBeginEnd.size();
    out += markdown.substr(at, body - at);
    out += KeyTable(section);
    at = end;
  }
  out += markdown.substr(at);
  if (!sections.empty())
    return Broken(fmt::format("The keys of \"{}\" have no block.", *sections.begin()));
  return out;
}

}  // namespace pgreplica::conf
