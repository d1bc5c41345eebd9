#include "conf/yaml_text.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

namespace pgreplica::conf {
namespace {

// What a bounded first pass over the YAML events finds: where each document starts and how
// many aliases there are. yaml-cpp's LoadAll never returns on some malformed text (", a}"
// found by fuzz_config): its parser hands out the same document again without reading on,
// and LoadAll collects copies until memory runs out. And an alias is a copy when the
// text is read: a few kB of aliases to aliases expand into gigabytes.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  int aliases = 0;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { ++aliases; }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// No input of pgreplica has a use for many aliases; more than this is refused.
constexpr int kMaxAliases = 100;

std::unexpected<Error> Syntax(const YamlInput& input, size_t line, size_t column,
                              const std::string& what) {
  return Fail(ErrorKind::kConfigSyntax, fmt::format("could not parse {}", input.what),
              fmt::format("Line {}, column {}: {}.", line, column, what), input.hint);
}

}  // namespace

Result<YAML::Node> LoadYamlDocument(const std::string& text, const YamlInput& input) {
  // yaml-cpp takes a NUL byte for the end of an escape and reports a line after it.
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    size_t line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n');
    size_t start = text.rfind('\n', nul);
    size_t column = nul - (start == std::string::npos ? 0 : start + 1) + 1;
    return Syntax(input, line, column, "a NUL byte, which YAML text cannot hold");
  }
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentCounter counter;
    while (counter.starts.size() < 3 && parser.HandleNextDocument(counter)) {
      size_t n = counter.starts.size();
      if (n >= 2 && counter.starts[n - 1].pos <= counter.starts[n - 2].pos) {
        const YAML::Mark& at = counter.starts[n - 1];
        return Syntax(input, at.line + 1, at.column + 1,
                      "text that is not part of any YAML node (a stray \",\", \"]\" or \"}\"?)");
      }
    }
    if (counter.starts.size() > 1) {
      // Only the first would be read, and the rest silently ignored.
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("{} holds {} YAML documents", input.what,
                              counter.starts.size() > 2 ? "more than 2" : "2"),
                  "pgreplica reads one document; the documents are separated by \"---\" lines.",
                  "Merge them into one mapping.");
    }
    if (counter.aliases > kMaxAliases) {
      return Fail(ErrorKind::kConfigInvalid,
                  fmt::format("{} uses {} YAML aliases", input.what, counter.aliases),
                  fmt::format("At most {} aliases (*name) are accepted; each is a copy of its "
                              "anchor when the text is read.",
                              kMaxAliases),
                  "Write the values out.");
    }
    if (counter.starts.empty()) return YAML::Node();
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    return Syntax(input, e.mark.line + 1, e.mark.column + 1,
                  fmt::format("lists or mappings nested more than {} levels deep", e.depth()));
  } catch (const YAML::Exception& e) {
    return Syntax(input, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

}  // namespace pgreplica::conf
