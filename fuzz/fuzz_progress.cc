// pg_basebackup's progress lines: any line is parsed without harm, and what
// is taken for progress converts to bytes without overflow.

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>

#include "clone/basebackup.h"
#include "fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  double elapsed = in.ConsumeFloatingPoint<double>();
  std::string line = in.ConsumeRemainingBytesAsString();
  auto kb = pgreplica::replica::ParseProgressKb(line);
  if (!kb) return 0;
  auto p = pgreplica::replica::ProgressFromKb(kb->first, kb->second, elapsed);
  if (!p) return 0;
  FUZZ_REQUIRE(p->done_bytes / 1024 == kb->first && p->done_bytes % 1024 == 0);
  FUZZ_REQUIRE(p->total_bytes / 1024 == kb->second);
  FUZZ_REQUIRE(p->rate_bytes_per_second >= 0);
  if (p->eta_seconds) FUZZ_REQUIRE(*p->eta_seconds >= 0 && !std::isnan(*p->eta_seconds));
  return 0;
}
