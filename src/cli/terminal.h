#pragma once
// The one place that decides whether a stream is a terminal that can show
// colour and redraw a line (isatty, TERM, NO_COLOR). Nothing else emits
// control codes.

#include <string>
#include <string_view>

namespace pgreplica::cli {

class Terminal {
 public:
  // `fd` is 1 or 2. `no_color` is the --no-color option.
  Terminal(int fd, bool no_color);
  bool is_tty() const { return tty_; }
  bool color() const { return color_; }
  // Redrawing one line with \r needs a real terminal that is not "dumb".
  bool can_redraw() const { return redraw_; }
  // `text` wrapped in SGR codes when colour is on: "1;31" bold red, "32" green...
  std::string Paint(std::string_view text, std::string_view sgr) const;

 private:
  bool tty_ = false;
  bool color_ = false;
  bool redraw_ = false;
};

}  // namespace pgreplica::cli
