#include "cli/guard.h"

#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/common.h"
#include "common/text.h"
#include "monitor/check.h"

namespace pgreplica::cli {

namespace {

int Report(ExitStyle style, const std::string& what) {
  Error e{ErrorKind::kInternal, "internal error: " + OneLine(what),
          "An exception escaped; the command did not finish.",
          "This is a bug in pgreplica; please report it with the command line that caused it."};
  try {
    if (style == ExitStyle::kNagios) {
      std::cout << monitor::UnknownLine(e.message) << std::endl;
      return static_cast<int>(monitor::State::kUnknown);
    }
    PrintPlainError(e);
  } catch (...) {
    // Nothing more can be said; the exit code still tells.
  }
  return style == ExitStyle::kNagios ? static_cast<int>(monitor::State::kUnknown)
                                     : ExitCode(ErrorKind::kInternal);
}

}  // namespace

int RunGuarded(ExitStyle style, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Report(style, e.what());
  } catch (...) {
    return Report(style, "an exception of unknown type");
  }
}

ExitStyle StyleFor(int argc, const char* const* argv) {
  return argc > 1 && std::string_view(argv[1]) == "check" ? ExitStyle::kNagios
                                                          : ExitStyle::kPgreplica;
}

}  // namespace pgreplica::cli
