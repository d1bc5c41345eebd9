#include "clone/verify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include "proc/child.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace pgreplica::replica {

namespace {

// The reflected CRC-32C polynomial.
constexpr std::uint32_t kPoly = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> MakeTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<std::uint32_t, 256> kTable = MakeTable();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t Crc32cSse42(std::uint32_t crc, const void* data,
                                                            std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t c = crc;
  while (size >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    size -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (size-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

bool DetectHardware() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const EVP_MD* Digest(const std::string& algorithm) {
  if (algorithm == "SHA224") return EVP_sha224();
  if (algorithm == "SHA256") return EVP_sha256();
  if (algorithm == "SHA384") return EVP_sha384();
  if (algorithm == "SHA512") return EVP_sha512();
  return nullptr;
}

std::string Hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 15]);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Result<std::string> HexDecode(const std::string& hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return Fail(ErrorKind::kCheckFailed, "odd length of an encoded path");
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return Fail(ErrorKind::kCheckFailed, "invalid hex in an encoded path");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Error ManifestError(const std::string& reason) {
  return Error{ErrorKind::kCheckFailed, "could not parse backup manifest", reason, ""};
}

// The manifest's own checksum: SHA-256 of everything up to and including the penultimate
// newline, which must be followed by one last line that ends the text.
Status CheckManifestChecksum(std::string_view text, const std::string& listed) {
  std::size_t newlines = 0, last = 0, penultimate = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') continue;
    ++newlines;
    penultimate = last;
    last = i;
  }
  if (newlines < 2) return std::unexpected(ManifestError("expected at least 2 lines"));
  if (last != text.size() - 1)
    return std::unexpected(ManifestError("last line not newline-terminated"));
  auto sum = FileChecksum::Make("SHA256");
  if (!sum) return std::unexpected(sum.error());
  sum->Update(text.data(), penultimate + 1);
  if (sum->Hex() != Lower(listed))
    return std::unexpected(ManifestError("manifest checksum mismatch"));
  return {};
}

// The paths pg_verifybackup does not compare with the manifest, in either direction: these
// top-level entries and everything below them (its should_ignore_relpath).
bool Ignored(std::string_view relpath) {
  static constexpr std::array<std::string_view, 5> kIgnore = {
      "backup_manifest", "pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal"};
  return std::ranges::any_of(kIgnore, [&](std::string_view ig) {
    return relpath == ig ||
           (relpath.starts_with(ig) && relpath.size() > ig.size() && relpath[ig.size()] == '/');
  });
}

struct DiskFile {
  const Dir* dir;
  std::string name;
  std::string relpath;
  std::uint64_t size;
};

// Walks the copy, collecting regular files; what is neither a file nor a directory (a link
// other than a known tablespace's) is a problem.
class Walker {
 public:
  static constexpr int kMaxDepth = 32;
  Walker(const VerifyTarget& target, std::vector<std::string>& problems)
      : target_(target), problems_(problems) {}

  Status Walk(const Dir& dir, const std::string& prefix, int depth = 0) {
    // A base backup is a few levels deep (pg_tblspc/<oid>/PG_15_.../<db>/<file>); a deeper
    // tree is not one, and walking it would cost a descriptor and a stack frame per level.
    if (depth > kMaxDepth) {
      problems_.push_back(
          fmt::format("\"{}\" is nested more than {} directories deep", prefix, kMaxDepth));
      return {};
    }
    auto names = dir.List();
    if (!names) return std::unexpected(names.error());
    std::sort(names->begin(), names->end());
    for (const auto& name : *names) {
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      if (prefix.empty() && Ignored(rel)) continue;
      auto st = dir.Stat(name);
      if (!st) return std::unexpected(st.error());
      if (!*st) continue;  // gone meanwhile: reported as missing if the manifest lists it
      const struct stat& s = **st;
      if (S_ISREG(s.st_mode)) {
        files_.push_back({&dir, name, rel, static_cast<std::uint64_t>(s.st_size)});
      } else if (S_ISDIR(s.st_mode)) {
        auto sub = dir.OpenDir(name);
        if (!sub) return std::unexpected(sub.error());
        dirs_.push_back(std::move(*sub));
        if (auto ok = Walk(dirs_.back(), rel, depth + 1); !ok) return ok;
      } else if (S_ISLNK(s.st_mode) && prefix == "pg_tblspc" && target_.tablespaces.count(name)) {
        const Dir* staged = target_.tablespaces.at(name);
        auto link = dir.ReadLink(name);
        if (!link) return std::unexpected(link.error());
        if (LexicalPath(*link) != staged->path()) {
          problems_.push_back(
              fmt::format("\"{}\" points at \"{}\", not at the staged tablespace \"{}\"", rel,
                          *link, staged->path()));
          continue;
        }
        if (auto ok = Walk(*staged, rel, depth + 1); !ok) return ok;
      } else {
        problems_.push_back(fmt::format("\"{}\" is not a file or directory", rel));
      }
    }
    return {};
  }

  std::vector<DiskFile>& files() { return files_; }

 private:
  const VerifyTarget& target_;
  std::vector<std::string>& problems_;
  std::deque<Dir> dirs_;  // every directory a DiskFile points into stays open
  std::vector<DiskFile> files_;
};

constexpr std::size_t kChunk = 1 << 20;

// Reads one file and compares its checksum; returns the problem, if any.
struct ReaderTotals {
  std::uint64_t bytes_read = 0;
  std::uint64_t reused_files = 0;
  std::uint64_t reused_bytes = 0;
};

std::string CheckFile(const DiskFile& f, const ManifestFile& m, std::vector<char>& buffer,
                      const VerifyTarget& target, ReaderTotals& totals) {
  const auto& cancel = target.cancel;
  auto fd = f.dir->OpenFile(f.name, O_RDONLY);
  if (!fd) return fmt::format("could not open file \"{}\": {}", f.relpath, fd.error().message);
  if (m.algorithm == "CRC32C" && target.precomputed != nullptr && m.size == f.size) {
    if (auto crc = ReusableCrc32c(*target.precomputed, fd->get())) {
      struct stat st {};
      if (fstat(fd->get(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) == m.size) {
        ++totals.reused_files;
        totals.reused_bytes += m.size;
        if (Crc32cHex(*crc) != m.checksum)
          return fmt::format("checksum mismatch for file \"{}\"", f.relpath);
        return "";
      }
    }
  }
  (void)posix_fadvise(fd->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  auto sum = FileChecksum::Make(m.algorithm);
  if (!sum) return fmt::format("file \"{}\": {}", f.relpath, sum.error().message);
  std::uint64_t total = 0;
  while (true) {
    if (cancel && cancel()) return "";
    ssize_t n = read(fd->get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fmt::format("could not read file \"{}\": {}", f.relpath, std::strerror(errno));
    }
    if (n == 0) break;
    sum->Update(buffer.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  totals.bytes_read += total;
  if (total != m.size)
    return fmt::format("file \"{}\" should contain {} bytes, but read {} bytes", f.relpath, m.size,
                       total);
  if (sum->Hex() != m.checksum) return fmt::format("checksum mismatch for file \"{}\"", f.relpath);
  return "";
}

}  // namespace

bool Crc32cHardware() {
  static const bool hw = DetectHardware();
  return hw;
}

std::uint32_t Crc32cPortable(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size-- > 0) crc = kTable[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

std::uint32_t Crc32cUpdate(std::uint32_t crc, const void* data, std::size_t size) {
#if defined(__x86_64__)
  if (Crc32cHardware()) return Crc32cSse42(crc, data, size);
#endif
  return Crc32cPortable(crc, data, size);
}

Result<FileChecksum> FileChecksum::Make(const std::string& algorithm) {
  FileChecksum c;
  c.algorithm_ = algorithm;
  if (algorithm == "CRC32C" || algorithm == "NONE") return c;
  const EVP_MD* md = Digest(algorithm);
  if (md == nullptr)
    return Fail(ErrorKind::kCheckFailed,
                fmt::format("unrecognized checksum algorithm \"{}\"", algorithm));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return Fail(ErrorKind::kSystem, fmt::format("could not initialize {} (OpenSSL)", algorithm));
  }
  c.md_ctx_ = ctx;
  return c;
}

FileChecksum::FileChecksum(FileChecksum&& o) noexcept
    : algorithm_(std::move(o.algorithm_)), crc_(o.crc_), md_ctx_(o.md_ctx_) {
  o.md_ctx_ = nullptr;
}

FileChecksum& FileChecksum::operator=(FileChecksum&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_ctx_));
    algorithm_ = std::move(o.algorithm_);
    crc_ = o.crc_;
    md_ctx_ = o.md_ctx_;
    o.md_ctx_ = nullptr;
  }
  return *this;
}

FileChecksum::~FileChecksum() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_ctx_)); }

void FileChecksum::Update(const void* data, std::size_t size) {
  if (md_ctx_ != nullptr)
    (void)EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(md_ctx_), data, size);
  else if (algorithm_ == "CRC32C")
    crc_ = Crc32cUpdate(crc_, data, size);
}

std::string FileChecksum::Hex() {
  if (md_ctx_ != nullptr) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(md_ctx_), out, &n) != 1) return "";
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_ctx_));
    md_ctx_ = nullptr;
    return replica::Hex(out, n);
  }
  if (algorithm_ != "CRC32C") return "";
  return Crc32cHex(crc_ ^ kCrc32cInit);
}

std::string Crc32cHex(std::uint32_t v) {
  unsigned char le[4] = {static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
                         static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
  return replica::Hex(le, 4);
}

Result<Manifest> ParseManifest(std::string_view text) {
  // A manifest nests three levels (object, Files, a file's object); anything deeper is dropped
  // while parsing instead of being built, so a crafted manifest cannot make root build a tree
  // many times its size.
  bool too_deep = false;
  nlohmann::json::parser_callback_t shallow = [&too_deep](int depth, nlohmann::json::parse_event_t,
                                                          nlohmann::json&) {
    if (depth > 4) too_deep = true;
    return depth <= 4;
  };
  auto j = nlohmann::json::parse(text.begin(), text.end(), shallow, /*allow_exceptions=*/false);
  if (too_deep) return std::unexpected(ManifestError("the manifest nests deeper than a manifest"));
  if (j.is_discarded() || !j.is_object())
    return std::unexpected(ManifestError("the manifest is not a valid JSON object"));
  auto checksum = j.find("Manifest-Checksum");
  if (checksum == j.end() || !checksum->is_string())
    return std::unexpected(ManifestError("manifest has no checksum"));
  if (auto ok = CheckManifestChecksum(text, checksum->get<std::string>()); !ok)
    return std::unexpected(ok.error());
  Manifest m;
  auto version = j.find("PostgreSQL-Backup-Manifest-Version");
  if (version == j.end() || !version->is_number_integer() || (*version != 1 && *version != 2))
    return std::unexpected(ManifestError("unexpected manifest version"));
  m.version = version->get<int>();
  auto files = j.find("Files");
  if (files == j.end() || !files->is_array())
    return std::unexpected(ManifestError("the manifest has no Files array"));
  for (const auto& f : *files) {
    if (!f.is_object()) return std::unexpected(ManifestError("a Files entry is not an object"));
    ManifestFile mf;
    if (auto p = f.find("Path"); p != f.end() && p->is_string()) {
      mf.path = p->get<std::string>();
    } else if (auto e = f.find("Encoded-Path"); e != f.end() && e->is_string()) {
      auto decoded = HexDecode(e->get<std::string>());
      if (!decoded) return std::unexpected(ManifestError(decoded.error().message));
      mf.path = *decoded;
    } else {
      return std::unexpected(ManifestError("a file has no path"));
    }
    auto size = f.find("Size");
    if (size == f.end() || !size->is_number_unsigned())
      return std::unexpected(ManifestError(fmt::format("file \"{}\" has no valid size", mf.path)));
    mf.size = size->get<std::uint64_t>();
    mf.algorithm = "NONE";
    if (auto a = f.find("Checksum-Algorithm"); a != f.end()) {
      if (!a->is_string()) return std::unexpected(ManifestError("invalid checksum algorithm"));
      mf.algorithm = a->get<std::string>();
      if (mf.algorithm != "NONE" && mf.algorithm != "CRC32C" && Digest(mf.algorithm) == nullptr)
        return std::unexpected(
            ManifestError(fmt::format("unrecognized checksum algorithm: \"{}\"", mf.algorithm)));
      auto c = f.find("Checksum");
      if (mf.algorithm != "NONE") {
        if (c == f.end() || !c->is_string())
          return std::unexpected(
              ManifestError(fmt::format("file \"{}\" has no checksum", mf.path)));
        mf.checksum = Lower(c->get<std::string>());
      }
    }
    m.files.push_back(std::move(mf));
  }
  auto ranges = j.find("WAL-Ranges");
  if (ranges == j.end() || !ranges->is_array())
    return std::unexpected(ManifestError("the manifest has no WAL-Ranges array"));
  for (const auto& r : *ranges) {
    if (!r.is_object()) return std::unexpected(ManifestError("a WAL range is not an object"));
    auto tli = r.find("Timeline");
    auto start = r.find("Start-LSN");
    auto end = r.find("End-LSN");
    if (tli == r.end() || !tli->is_number_unsigned() || start == r.end() || !start->is_string() ||
        end == r.end() || !end->is_string())
      return std::unexpected(ManifestError("a WAL range lacks Timeline, Start-LSN or End-LSN"));
    m.wal_ranges.push_back(
        {tli->get<std::uint32_t>(), start->get<std::string>(), end->get<std::string>()});
  }
  return m;
}

Result<Manifest> ReadManifest(const Dir& data) {
  auto text = data.ReadFile("backup_manifest", std::size_t{1} << 30);
  if (!text)
    return std::unexpected(
        Error{ErrorKind::kCheckFailed, "could not read backup manifest", text.error().message, ""});
  return ParseManifest(*text);
}

Result<VerifyReport> VerifyCopy(const VerifyTarget& target, const Manifest& manifest_in) {
  VerifyReport report;
  const Manifest* manifest = &manifest_in;
  Walker walker(target, report.problems);
  if (auto ok = walker.Walk(*target.data, ""); !ok) return std::unexpected(ok.error());

  std::unordered_map<std::string, std::size_t> listed;
  listed.reserve(manifest->files.size());
  for (std::size_t i = 0; i < manifest->files.size(); ++i)
    listed.emplace(manifest->files[i].path, i);
  std::vector<bool> found(manifest->files.size(), false);
  struct Job {
    const DiskFile* disk;
    const ManifestFile* listed;
  };
  std::vector<Job> jobs;
  for (const auto& f : walker.files()) {
    auto it = listed.find(f.relpath);
    if (it == listed.end()) {
      report.problems.push_back(
          fmt::format("\"{}\" is present on disk but not in the manifest", f.relpath));
      continue;
    }
    found[it->second] = true;
    const ManifestFile& m = manifest->files[it->second];
    if (f.size != m.size) {
      report.problems.push_back(fmt::format(
          "\"{}\" has size {} on disk but size {} in the manifest", f.relpath, f.size, m.size));
      continue;
    }
    if (m.algorithm != "NONE") jobs.push_back({&f, &m});
  }
  for (std::size_t i = 0; i < found.size(); ++i)
    if (!found[i] && !Ignored(manifest->files[i].path))
      report.problems.push_back(fmt::format("\"{}\" is present in the manifest but not on disk",
                                            manifest->files[i].path));

  // Largest files first, so that the readers finish together.
  std::sort(jobs.begin(), jobs.end(),
            [](const Job& a, const Job& b) { return a.disk->size > b.disk->size; });
  unsigned threads = target.threads;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, jobs.size())));
  std::vector<std::string> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> cancelled{false};
  std::atomic<std::uint64_t> reused_files{0}, reused_bytes{0};
  auto reader = [&] {
    std::vector<char> buffer(kChunk);
    ReaderTotals mine;
    while (!cancelled) {
      std::size_t i = next.fetch_add(1);
      if (i >= jobs.size()) break;
      if (target.cancel && target.cancel()) {
        cancelled = true;
        break;
      }
      results[i] = CheckFile(*jobs[i].disk, *jobs[i].listed, buffer, target, mine);
    }
    bytes += mine.bytes_read;
    reused_files += mine.reused_files;
    reused_bytes += mine.reused_bytes;
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(reader);
    reader();
  }
  if (cancelled || (target.cancel && target.cancel())) report.cancelled = true;
  for (const auto& r : results)
    if (!r.empty()) report.problems.push_back(r);
  report.files = jobs.size();
  report.bytes = bytes;
  report.reused_files = reused_files;
  report.reused_bytes = reused_bytes;
  return report;
}

Result<VerifyReport> VerifyBackup(const VerifyTarget& target, const WalOptions& wal) {
  auto manifest = ReadManifest(*target.data);
  if (!manifest) {
    VerifyReport report;
    report.problems.push_back(
        fmt::format("{}: {}", manifest.error().message, manifest.error().detail));
    return report;
  }
  // One range per timeline, usually one: the first few are parsed while the files are read, any
  // more one after another (a manifest listing hundreds must not start hundreds of programs).
  constexpr std::size_t kConcurrentWalDumps = 4;
  const std::size_t ranges = wal.parse ? manifest->wal_ranges.size() : 0;
  auto start = [&](std::size_t i) {
    return proc::Child::Start(
        {.argv = WalDumpArgv(wal.bindir, wal.wal_dir, manifest->wal_ranges[i]),
         .run_as = wal.run_as,
         .cwd = "/",
         .die_with_parent = true});
  };
  std::vector<proc::Child> early;
  for (std::size_t i = 0; i < std::min(ranges, kConcurrentWalDumps); ++i) {
    auto c = start(i);
    if (!c) return std::unexpected(c.error());
    early.push_back(std::move(*c));
  }
  auto report = VerifyCopy(target, *manifest);
  if (!report) return report;
  for (std::size_t i = 0; i < ranges && !report->cancelled; ++i) {
    std::optional<proc::Child> late;
    if (i >= early.size()) {
      auto c = start(i);
      if (!c) return std::unexpected(c.error());
      late.emplace(std::move(*c));
    }
    proc::Child& child = i < early.size() ? early[i] : *late;
    auto status = child.Wait({.on_line = wal.on_line, .cancel = target.cancel});
    if (status.cancelled) report->cancelled = true;
    if (!status.ok() && !status.cancelled)
      report->problems.push_back(
          fmt::format("WAL parsing failed for timeline {}: pg_waldump {}: {}",
                      manifest->wal_ranges[i].timeline, status.Describe(), child.TailText()));
  }
  return report;
}

std::vector<std::string> WalDumpArgv(const std::string& bindir, const std::string& wal_dir,
                                     const WalRange& range) {
  return {bindir + "/pg_waldump",       "--quiet",
          "--path=" + wal_dir,          fmt::format("--timeline={}", range.timeline),
          "--start=" + range.start_lsn, "--end=" + range.end_lsn};
}

}  // namespace pgreplica::replica
