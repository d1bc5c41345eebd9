#include "cli/progress.h"

#include <cstdint>
#include <iostream>

#include <fmt/format.h>

#include "common/format.h"
#include "common/number.h"

namespace pgreplica::cli {

namespace {
constexpr auto kPlainInterval = std::chrono::seconds(5);
constexpr auto kRedrawInterval = std::chrono::milliseconds(200);
}  // namespace

ProgressDisplay::ProgressDisplay(const Printer& printer)
    : enabled_(!printer.json() && !printer.quiet()),
      redraw_(printer.err().can_redraw()),
      last_(std::chrono::steady_clock::now() - kPlainInterval) {}

ProgressDisplay::~ProgressDisplay() { Finish(); }

namespace {

// done/total in [0, scale]: pg_basebackup's estimate can be exceeded, and a cast of a
// double beyond int's range would be undefined.
int Share(const replica::CopyProgress& p, int scale) {
  if (p.total_bytes == 0) return 0;
  double share = static_cast<double>(scale) * static_cast<double>(p.done_bytes) /
                 static_cast<double>(p.total_bytes);
  return share >= scale ? scale : static_cast<int>(share);
}

}  // namespace

std::string ProgressDisplay::Format(const replica::CopyProgress& p) {
  std::string eta = "--:--";
  if (p.eta_seconds && *p.eta_seconds >= 0 && FitsInt64(*p.eta_seconds)) {
    auto s = static_cast<std::int64_t>(*p.eta_seconds);
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  }
  double rate = p.rate_bytes_per_second;
  std::string per_second = FitsInt64(rate) ? HumanBytes(static_cast<std::int64_t>(rate)) : "?";
  auto bytes = [](std::uint64_t b) {
    return b > static_cast<std::uint64_t>(INT64_MAX) ? std::string("?")
                                                     : HumanBytes(static_cast<std::int64_t>(b));
  };
  return fmt::format("{} / {}  {:3}%  {}/s  ETA {}", bytes(p.done_bytes), bytes(p.total_bytes),
                     Share(p, 100), per_second, eta);
}

void ProgressDisplay::Update(const replica::CopyProgress& p) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < (redraw_
                         ? std::chrono::duration_cast<std::chrono::milliseconds>(kRedrawInterval)
                         : std::chrono::duration_cast<std::chrono::milliseconds>(kPlainInterval)))
    return;
  last_ = now;
  if (redraw_) {
    int percent = Share(p, 20);
    std::string bar = std::string(static_cast<size_t>(percent), '#') +
                      std::string(static_cast<size_t>(20 - percent), '.');
    std::cerr << "\r\x1b[K  copy [" << bar << "] " << Format(p) << std::flush;
    drawn_ = true;
  } else {
    std::cerr << "copy: " << Format(p) << '\n' << std::flush;
  }
}

void ProgressDisplay::Finish() {
  if (drawn_) {
    std::cerr << "\r\x1b[K" << std::flush;
    drawn_ = false;
  }
}

}  // namespace pgreplica::cli
