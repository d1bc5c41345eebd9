#include "cli/parse_error.h"

#include <string_view>

#include <fmt/format.h>

namespace pgreplica::cli {

namespace {

// "NAME: rest" -> NAME, when the error names an option that way.
std::string OptionOf(const std::string& what) {
  auto colon = what.find(": ");
  return colon == std::string::npos ? "" : what.substr(0, colon);
}

std::string Sentence(std::string text) {
  if (!text.empty() && !text.ends_with('.')) text += '.';
  return text;
}

}  // namespace

std::string DescribeParseError(const CLI::ParseError& error) {
  const std::string what = error.what();
  const std::string kind = error.get_name();
  const std::string option = OptionOf(what);
  if (kind == "ArgumentMismatch" && !option.empty()) {
    // CLI11: "--port: At Most 1 required but received 2", "--host: 1 required VALUE missing".
    if (what.find(": At Most ") != std::string::npos)
      return fmt::format("{} was given more than once; give it once.", option);
    if (what.find(" required ") != std::string::npos && what.ends_with(" missing"))
      return fmt::format("{} needs a value.", option);
  }
  if (kind == "ExcludesError") {
    // CLI11: "--primary-only excludes --local-only".
    auto at = what.find(" excludes ");
    if (at != std::string::npos)
      return fmt::format("{} and {} cannot be used together.", what.substr(0, at),
                         what.substr(at + 10));
  }
  if (kind == "RequiredError" && what.ends_with(" is required") &&
      what.find(' ') == what.size() - 12) {
    // CLI11: "id is required" for a missing positional argument.
    return fmt::format("The argument {} is missing.", what.substr(0, what.size() - 12));
  }
  if (kind == "ValidationError" && !option.empty()) {
    // CLI11 puts two spaces after the colon when the validator's text starts with a space.
    std::string rest = what.substr(option.size() + 2);
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    return Sentence(fmt::format("{}: {}", option, rest));
  }
  return Sentence(what);
}

bool AsksForJson(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if ((a == "-o" || a == "--output") && i + 1 < argc && std::string_view(argv[i + 1]) == "json")
      return true;
    if (a == "--output=json" || a == "-ojson") return true;
  }
  return false;
}

}  // namespace pgreplica::cli
