// The pgpass reader and writer: any file is read line by line without harm,
// and an entry without line breaks is written so that it reads back as
// itself, once, and a second merge changes nothing.

#include <fuzzer/FuzzedDataProvider.h>

#include <sstream>

#include "conf/pgpass.h"
#include "fuzz/fuzz.h"

using pgreplica::conf::PgpassEntry;

namespace {
bool Clean(const std::string& s) { return s.find_first_of("\n\r") == std::string::npos; }
bool Same(const PgpassEntry& a, const PgpassEntry& b) {
  return a.host == b.host && a.port == b.port && a.database == b.database && a.user == b.user &&
         a.password == b.password;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  PgpassEntry e{in.ConsumeRandomLengthString(40), in.ConsumeRandomLengthString(8),
                in.ConsumeRandomLengthString(16), in.ConsumeRandomLengthString(40),
                in.ConsumeRandomLengthString(64)};
  std::string existing = in.ConsumeRemainingBytesAsString();
  std::istringstream lines(existing);
  for (std::string line; std::getline(lines, line);) (void)pgreplica::conf::ParsePgpassLine(line);

  if (!(Clean(e.host) && Clean(e.port) && Clean(e.database) && Clean(e.user) && Clean(e.password)))
    return 0;  // WritePgpassEntry refuses such an entry
  auto parsed = pgreplica::conf::ParsePgpassLine(pgreplica::conf::FormatPgpassLine(e));
  FUZZ_REQUIRE(parsed && Same(*parsed, e));
  bool changed = false;
  std::string merged = pgreplica::conf::MergePgpass(existing, e, &changed);
  std::string again = pgreplica::conf::MergePgpass(merged, e, &changed);
  FUZZ_REQUIRE(!changed && again == merged);
  int matches = 0;
  std::istringstream out(merged);
  for (std::string line; std::getline(out, line);) {
    auto p = pgreplica::conf::ParsePgpassLine(line);
    if (p && p->host == e.host && p->port == e.port && p->database == e.database &&
        p->user == e.user) {
      FUZZ_REQUIRE(p->password == e.password);
      ++matches;
    }
  }
  FUZZ_REQUIRE(matches == 1);
  return 0;
}
