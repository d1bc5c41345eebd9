#pragma once
// Numbers that come from outside (server replies, files, other programs'
// output, the command line): parsed with std::from_chars, whole text or
// nothing, never an exception. Each returns nullopt when `text` is not
// exactly one number of the type: empty, surrounding spaces, a leading '+',
// trailing characters, or out of range. Doubles must also be finite (no
// "nan", "inf", "Infinity").

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgreplica {

std::optional<int> ParseInt(std::string_view text);
std::optional<std::int64_t> ParseInt64(std::string_view text);
std::optional<std::uint64_t> ParseUint64(std::string_view text);
std::optional<double> ParseDouble(std::string_view text);

// a * b and a + b, or nullopt when the result does not fit.
std::optional<std::uint64_t> CheckedMul(std::uint64_t a, std::uint64_t b);
std::optional<std::uint64_t> CheckedAdd(std::uint64_t a, std::uint64_t b);

// Whether a double converts to std::int64_t without undefined behaviour
// (finite, and within range after truncation).
bool FitsInt64(double value);

}  // namespace pgreplica
