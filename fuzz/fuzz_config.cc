// The configuration loader: YAML text, then a --set assignment on top of what
// it produced, and the key suggestions for the assignment's key.

#include <fuzzer/FuzzedDataProvider.h>

#include "conf/config.h"
#include "fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string assignment = in.ConsumeRandomLengthString(100);
  std::string text = in.ConsumeRemainingBytesAsString();
  auto config = pgreplica::conf::ParseConfig(text, "fuzz.yaml");
  if (config) {
    auto set = pgreplica::conf::ApplyOverride(*config, assignment);
    if (!set) FUZZ_REQUIRE(set.error().kind == pgreplica::ErrorKind::kUsage);
  } else {
    FUZZ_REQUIRE(!config.error().message.empty());
    FUZZ_REQUIRE(config.error().kind == pgreplica::ErrorKind::kConfigSyntax ||
                 config.error().kind == pgreplica::ErrorKind::kConfigInvalid);
  }
  if (auto s = pgreplica::conf::SuggestKey(assignment.substr(0, assignment.find('='))))
    FUZZ_REQUIRE(!s->empty());
  return 0;
}
