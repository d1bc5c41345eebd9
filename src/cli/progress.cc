#include "cli/progress.h"

#include <iostream>

#include <fmt/format.h>

#include "common/format.h"

namespace pgreplica::cli {

namespace {
constexpr auto kPlainInterval = std::chrono::seconds(5);
constexpr auto kRedrawInterval = std::chrono::milliseconds(200);
}  // namespace

ProgressDisplay::ProgressDisplay(const Printer& printer)
    : printer_(printer),
      enabled_(!printer.json() && !printer.quiet()),
      redraw_(printer.err().can_redraw()),
      last_(std::chrono::steady_clock::now() - kPlainInterval) {}

ProgressDisplay::~ProgressDisplay() { Finish(); }

std::string ProgressDisplay::Format(const replica::CopyProgress& p) {
  int percent = p.total_bytes > 0 ? static_cast<int>(100.0 * p.done_bytes / p.total_bytes) : 0;
  if (percent > 100) percent = 100;
  std::string eta = "--:--";
  if (p.eta_seconds) {
    long s = static_cast<long>(*p.eta_seconds);
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  }
  return fmt::format("{} / {}  {:3}%  {}/s  ETA {}", HumanBytes(p.done_bytes),
                     HumanBytes(p.total_bytes), percent,
                     HumanBytes(static_cast<std::int64_t>(p.rate_bytes_per_second)), eta);
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
    int percent = p.total_bytes > 0 ? static_cast<int>(20.0 * p.done_bytes / p.total_bytes) : 0;
    if (percent > 20) percent = 20;
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
