#include "common/number.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace pgreplica {

namespace {

template <typename T>
std::optional<T> Parse(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int> ParseInt(std::string_view text) { return Parse<int>(text); }
std::optional<std::int64_t> ParseInt64(std::string_view text) { return Parse<std::int64_t>(text); }
std::optional<std::uint64_t> ParseUint64(std::string_view text) {
  // from_chars for unsigned types already refuses '-'.
  return Parse<std::uint64_t>(text);
}

std::optional<double> ParseDouble(std::string_view text) {
  auto v = Parse<double>(text);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> CheckedMul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> CheckedAdd(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

bool FitsInt64(double value) {
  // [-2^63, 2^63): both bounds are exact doubles, and truncation keeps every value in range.
  constexpr double kLimit = 9223372036854775808.0;
  return std::isfinite(value) && value >= -kLimit && value < kLimit;
}

}  // namespace pgreplica
