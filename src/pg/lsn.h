#pragma once
// PostgreSQL write-ahead log positions ("16/B374D848").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgreplica::pg {

using Lsn = std::uint64_t;

// Parses "X/Y" (hex halves). nullopt for anything else.
std::optional<Lsn> ParseLsn(std::string_view text);
std::string FormatLsn(Lsn lsn);
// a - b in bytes, clamped at 0 (a standby can report an LSN ahead of a stale snapshot).
std::uint64_t LsnDiff(Lsn a, Lsn b);

}  // namespace pgreplica::pg
