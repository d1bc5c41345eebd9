// The pg_hba.conf reader: any file is split and searched without harm; the
// line pgreplica writes for a role reads back as that role, whatever its
// name, and once inserted it is the line that decides.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <sstream>

#include "fuzz/fuzz.h"
#include "primary/hba.h"

using pgreplica::replica::HbaRule;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kAddresses[] = {"10.0.0.5/32", "10.0.0.5",  "127.0.0.1/32",
                                           "::1/128",     "samehost",  "samenet",
                                           "0.0.0.0/0",   "fe80::/10", "192.168.1.0/24"};
  FuzzedDataProvider in(data, size);
  HbaRule rule;
  rule.user = in.ConsumeRandomLengthString(40);
  rule.address = kAddresses[in.ConsumeIntegralInRange<size_t>(0, std::size(kAddresses) - 1)];
  std::string contents = in.ConsumeRemainingBytesAsString();
  (void)pgreplica::replica::FindHbaRule(contents, rule);
  std::istringstream lines(contents);
  for (std::string line; std::getline(lines, line);) (void)pgreplica::replica::HbaFields(line);

  // Role names with control characters are refused by the configuration.
  if (std::any_of(rule.user.begin(), rule.user.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    return 0;
  std::string ours = pgreplica::replica::FormatHbaLine(rule);
  auto fields = pgreplica::replica::HbaFields(ours);
  FUZZ_REQUIRE(fields.size() == 5 && fields[2].size() == 1 && fields[2][0].text == rule.user);
  auto match =
      pgreplica::replica::FindHbaRule(pgreplica::replica::InsertHbaRule(contents, rule), rule);
  FUZZ_REQUIRE(match && !match->rejects() && match->line == ours);
  return 0;
}
