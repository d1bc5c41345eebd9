#include "pg/lsn.h"

#include <charconv>

#include <fmt/format.h>

namespace pgreplica::pg {

namespace {
std::optional<std::uint32_t> ParseHalf(std::string_view s) {
  if (s.empty() || s.size() > 8) return std::nullopt;
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<Lsn> ParseLsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto hi = ParseHalf(text.substr(0, slash));
  auto lo = ParseHalf(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return (static_cast<Lsn>(*hi) << 32) | *lo;
}

std::string FormatLsn(Lsn lsn) {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32),
                     static_cast<std::uint32_t>(lsn));
}

std::uint64_t LsnDiff(Lsn a, Lsn b) { return a > b ? a - b : 0; }

}  // namespace pgreplica::pg
