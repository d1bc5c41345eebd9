// The inventory reader: what it accepts has a host, a name, a port in range
// and a positive, finite timeout.

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz.h"
#include "monitor/inventory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto nodes = pgreplica::monitor::ParseInventory(text, "fuzz.yaml");
  if (!nodes) {
    FUZZ_REQUIRE(!nodes.error().message.empty());
    return 0;
  }
  FUZZ_REQUIRE(!nodes->empty());
  for (const auto& n : *nodes) {
    FUZZ_REQUIRE(!n.name.empty() && !n.params.host.empty());
    FUZZ_REQUIRE(n.params.port >= 0 && n.params.port <= 65535);
    FUZZ_REQUIRE(n.timeout.count() > 0 && n.timeout.count() <= 3600 * 1000);
  }
  return 0;
}
