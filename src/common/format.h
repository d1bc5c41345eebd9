#pragma once
// Small formatting helpers shared by reports and progress displays.

#include <cstdint>
#include <string>

namespace pgreplica {

// 1536 -> "1.5 kB", 512 -> "512 B" (powers of 1024, as PostgreSQL's pg_size_pretty).
std::string HumanBytes(std::int64_t bytes);

}  // namespace pgreplica
