#include "replica/compression.h"

#include <fmt/format.h>

#include "pg/version.h"

namespace pgreplica::replica {

namespace {

bool IsNone(const std::string& v) {
  return v.empty() || v == "none" || v == "client-none" || v == "server-none";
}

}  // namespace

Result<CompressionChoice> ChooseCompression(const std::string& configured, int primary_version,
                                            bool primary_is_local) {
  const bool known = primary_version > 0;
  const bool can_compress = primary_version >= kMinVersionForServerCompression;
  const int major = pg::MajorVersion(primary_version);
  if (configured == "auto") {
    if (!known)
      return CompressionChoice{
          "", "uncompressed (clone.compress auto: the primary's version is unknown)"};
    if (!can_compress) {
      return CompressionChoice{
          "", fmt::format("uncompressed (clone.compress auto: PostgreSQL {} cannot compress a "
                          "base backup on the server; 15 and later can)",
                          major)};
    }
    if (primary_is_local)
      return CompressionChoice{"",
                               "uncompressed (clone.compress auto: the primary is on this host)"};
    return CompressionChoice{
        kAutoCompress,
        "compressed with lz4 on the primary (clone.compress auto: the primary is another host)"};
  }
  if (IsNone(configured)) return CompressionChoice{"", "uncompressed (clone.compress: none)"};
  if (known && !can_compress) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("the primary cannot compress the copy with \"{}\"", configured),
                fmt::format("PostgreSQL {} has no server-side compression of base backups; "
                            "PostgreSQL 15 added it.",
                            major),
                "Set clone.compress to auto or none.");
  }
  return CompressionChoice{configured,
                           fmt::format("compressed with {} (clone.compress)", configured)};
}

}  // namespace pgreplica::replica
