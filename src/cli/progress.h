#pragma once
// Progress of a long copy on standard error: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise, nothing with --quiet
// or --output json (so a JSON stream is never mixed with progress).

#include <chrono>
#include <cstdint>
#include <string>

#include "cli/common.h"
#include "clone/basebackup.h"

namespace pgreplica::cli {

class ProgressDisplay {
 public:
  explicit ProgressDisplay(const Printer& printer);
  ~ProgressDisplay();
  void Update(const replica::CopyProgress& p);
  // Ends a redrawn line so that the next output starts on a new line.
  void Finish();

  // "1.2 GB / 2.6 GB  45%  85.3 MB/s  ETA 0:16" (also used in plain lines).
  static std::string Format(const replica::CopyProgress& p);

 private:
  bool enabled_;
  bool redraw_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace pgreplica::cli
