#pragma once
// The built-in verifier: checks a plain-format copy against its backup_manifest with the
// guarantees of pg_verifybackup (PostgreSQL 13 and later): the manifest's own SHA-256 checksum
// is valid; every file it lists is present with the listed size and checksum; no file is
// present that it does not list, except pg_verifybackup's documented exceptions at the top
// level (backup_manifest, pg_wal, postgresql.auto.conf, recovery.signal, standby.signal).
// Files are read in parallel; CRC-32C (the manifests' default) uses the CPU's instruction.
// The WAL check (pg_waldump over the manifest's WAL ranges, as pg_verifybackup runs it) is the
// caller's: WalDumpArgv gives the argv.
//
// The copy belongs to the PostgreSQL OS user and may be read by root: every directory is
// opened through Dir (never following a link), every file with O_NOFOLLOW, and the only link
// followed is pg_tblspc/<oid> when it points at the staged tablespace directory the caller
// opened for that oid.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clone/copy_watch.h"
#include "common/dirfd.h"
#include "common/error.h"
#include "proc/user.h"

namespace pgreplica::replica {

// CRC-32C (Castagnoli), as PostgreSQL computes it. Crc32cUpdate continues a running value
// (start with kCrc32cInit; finish with ^ kCrc32cInit); the CPU's instruction is used when it
// has one (SSE 4.2), a table otherwise. Crc32cPortable is the table version, for tests.
inline constexpr std::uint32_t kCrc32cInit = 0xFFFFFFFFu;
std::uint32_t Crc32cUpdate(std::uint32_t crc, const void* data, std::size_t size);
std::uint32_t Crc32cPortable(std::uint32_t crc, const void* data, std::size_t size);
// A final CRC-32C value as the manifest spells it: its bytes in little-endian order, in hex.
std::string Crc32cHex(std::uint32_t value);
// Whether Crc32cUpdate uses the CPU's instruction.
bool Crc32cHardware();

// A running checksum of a manifest's algorithm: "CRC32C", "SHA224", "SHA256", "SHA384",
// "SHA512" (OpenSSL's libcrypto) or "NONE". Hex() is the manifest's spelling of the result
// (for CRC32C: the four bytes of the value in little-endian order, as PostgreSQL writes it).
class FileChecksum {
 public:
  // kCheckFailed for an algorithm this does not know.
  static Result<FileChecksum> Make(const std::string& algorithm);
  FileChecksum(FileChecksum&&) noexcept;
  FileChecksum& operator=(FileChecksum&&) noexcept;
  ~FileChecksum();
  void Update(const void* data, std::size_t size);
  std::string Hex();

 private:
  FileChecksum() = default;
  std::string algorithm_;
  std::uint32_t crc_ = kCrc32cInit;
  void* md_ctx_ = nullptr;  // EVP_MD_CTX for the SHA family
};

struct ManifestFile {
  std::string path;  // relative to the data directory, '/'-separated
  std::uint64_t size = 0;
  std::string algorithm;  // "NONE" when the manifest lists no checksum
  std::string checksum;   // lower-case hex
};

struct WalRange {
  std::uint32_t timeline = 0;
  std::string start_lsn, end_lsn;  // as in the manifest, e.g. "0/2000028"
};

struct Manifest {
  int version = 0;
  std::vector<ManifestFile> files;
  std::vector<WalRange> wal_ranges;
};

// Parses backup_manifest's text and checks its own checksum (SHA-256 of everything up to and
// including the newline before the "Manifest-Checksum" line, as PostgreSQL computes it).
// kCheckFailed, with the reason, for a manifest that is damaged or not a manifest.
Result<Manifest> ParseManifest(std::string_view text);

// What to verify: the copy's data directory and, for each tablespace oid, the directory its
// pg_tblspc/<oid> link must point at (by path()).
struct VerifyTarget {
  const Dir* data = nullptr;
  std::map<std::string, const Dir*> tablespaces;
  unsigned threads = 0;  // readers; 0: one per CPU (at most 8)
  // CRC-32C sums taken while the copy was written (CopyWatcher); a file's sum is used instead
  // of reading it when ReusableCrc32c vouches for it and the manifest uses CRC-32C.
  const PrecomputedSums* precomputed = nullptr;
  std::function<bool()> cancel;  // polled between files and chunks (from every reader)
};

struct VerifyReport {
  std::vector<std::string> problems;  // one line each, in pg_verifybackup's wording
  std::uint64_t files = 0;            // files checked
  std::uint64_t bytes = 0;            // bytes read for checksums
  std::uint64_t reused_files = 0;     // files whose sum from the copy was used
  std::uint64_t reused_bytes = 0;
  bool cancelled = false;
  bool ok() const { return problems.empty() && !cancelled; }
};

// Reads and parses <data>/backup_manifest (ParseManifest); kCheckFailed when it is missing,
// unreadable or damaged.
Result<Manifest> ReadManifest(const Dir& data);

// Checks the copy's files against `manifest`. Errors only for what keeps the check from
// running (a directory that cannot be listed); every difference is a problem in the report.
Result<VerifyReport> VerifyCopy(const VerifyTarget& target, const Manifest& manifest);

struct WalOptions {
  bool parse = true;    // false: like pg_verifybackup --no-parse-wal
  std::string bindir;   // of pg_waldump
  std::string wal_dir;  // the copy's pg_wal
  std::optional<proc::OsUser> run_as;
  std::function<void(const std::string&)> on_line;  // pg_waldump's output
};

// The whole check, as pg_verifybackup makes it: ReadManifest (a damaged manifest is a problem
// in the report), then pg_waldump over each WAL range, started first and running while
// VerifyCopy reads the files. Errors only for what keeps the check from running (a program
// that cannot be started, a directory that cannot be listed).
Result<VerifyReport> VerifyBackup(const VerifyTarget& target, const WalOptions& wal);

// pg_verifybackup's WAL check for one range: pg_waldump --quiet --path=<wal_dir>
// --timeline=<tli> --start=<lsn> --end=<lsn>. It exits non-zero when the WAL needed is
// missing or cannot be parsed.
std::vector<std::string> WalDumpArgv(const std::string& bindir, const std::string& wal_dir,
                                     const WalRange& range);

}  // namespace pgreplica::replica
