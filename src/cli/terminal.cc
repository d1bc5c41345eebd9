#include "cli/terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace pgreplica::cli {

Terminal::Terminal(int fd, bool no_color) {
  tty_ = isatty(fd) == 1;
  const char* term = std::getenv("TERM");
  bool dumb = term == nullptr || std::strcmp(term, "dumb") == 0;
  const char* nc = std::getenv("NO_COLOR");  // https://no-color.org: set and non-empty
  bool env_no_color = nc != nullptr && nc[0] != '\0';
  redraw_ = tty_ && !dumb;
  color_ = redraw_ && !env_no_color && !no_color;
}

std::string Terminal::Paint(std::string_view text, std::string_view sgr) const {
  if (!color_) return std::string(text);
  return "\x1b[" + std::string(sgr) + "m" + std::string(text) + "\x1b[0m";
}

}  // namespace pgreplica::cli
