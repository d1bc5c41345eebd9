#include "clone/compression.h"

#include <fmt/format.h>

#include "pg/version.h"

namespace pgreplica::replica {

namespace {

bool IsNone(const std::string& v) {
  return v.empty() || v == "none" || v == "client-none" || v == "server-none";
}

CompressionChoice Auto(int primary_version, bool primary_is_local, const ServerMethods& m) {
  auto why = [](const std::string& reason) {
    return fmt::format("uncompressed (clone.compress auto: {})", reason);
  };
  if (primary_version <= 0) return {"", why("the primary's version is unknown")};
  if (primary_version < kMinVersionForServerCompression) {
    return {"", why(fmt::format("PostgreSQL {} cannot compress a base backup on the server; 15 "
                                "and later can",
                                pg::MajorVersion(primary_version)))};
  }
  if (primary_is_local) return {"", why("the primary is on this host")};
  if (!m.known) {
    return {"", why("the primary's compression methods could not be read without an admin "
                    "login")};
  }
  if (m.zstd) {
    return {"server-zstd",
            "compressed with zstd on the primary (clone.compress auto: the primary is another "
            "host)"};
  }
  if (m.lz4) {
    return {"server-lz4",
            "compressed with lz4 on the primary (clone.compress auto: the primary is another "
            "host; its build has no zstd)"};
  }
  return {"", why("the primary's build has neither zstd nor lz4")};
}

}  // namespace

Result<CompressionChoice> ChooseCompression(const std::string& configured, int primary_version,
                                            bool primary_is_local, const ServerMethods& methods) {
  if (configured == "auto") return Auto(primary_version, primary_is_local, methods);
  if (IsNone(configured)) return CompressionChoice{"", "uncompressed (clone.compress: none)"};
  const int major = pg::MajorVersion(primary_version);
  if (primary_version > 0 && primary_version < kMinVersionForServerCompression) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("the primary cannot compress the copy with \"{}\"", configured),
                fmt::format("PostgreSQL {} has no server-side compression of base backups; "
                            "PostgreSQL 15 added it.",
                            major),
                "Set clone.compress to auto or none.");
  }
  // "server-zstd:level=3" -> "zstd"
  std::string method;
  if (configured.starts_with("server-"))
    method = configured.substr(7, configured.find(':') - 7);  // npos - 7: to the end
  if (methods.known && ((method == "lz4" && !methods.lz4) || (method == "zstd" && !methods.zstd))) {
    return Fail(ErrorKind::kEnvironment,
                fmt::format("the primary cannot compress the copy with \"{}\"", configured),
                fmt::format("The primary's PostgreSQL was built without {}.", method),
                "Set clone.compress to auto, none or a method the primary has.");
  }
  return CompressionChoice{configured,
                           fmt::format("compressed with {} (clone.compress)", configured)};
}

}  // namespace pgreplica::replica
