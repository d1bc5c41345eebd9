// Server replies: four results of any shape and content, as a proxy or an
// odd server could send them, fill a node or give a reason; never a crash.

#include <fuzzer/FuzzedDataProvider.h>
#include <libpq-fe.h>

#include <memory>

#include "fuzz/fuzz.h"
#include "monitor/collector.h"

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr MakeResult(FuzzedDataProvider& in, int columns) {
  ResultPtr r(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK), &PQclear);
  std::vector<std::string> names(columns);
  std::vector<PGresAttDesc> attrs(columns);
  for (int i = 0; i < columns; ++i) {
    names[i] = "c" + std::to_string(i);
    attrs[i] = {};
    attrs[i].name = names[i].data();
    attrs[i].typlen = -1;
  }
  if (!PQsetResultAttrs(r.get(), columns, attrs.data())) return r;
  int rows = in.ConsumeIntegralInRange(0, 3);
  for (int row = 0; row < rows; ++row) {
    for (int col = 0; col < columns; ++col) {
      bool null = in.ConsumeIntegralInRange(0, 7) == 0;
      std::string v = in.ConsumeRandomLengthString(24);
      PQsetvalue(r.get(), row, col, null ? nullptr : v.data(),
                 null ? -1 : static_cast<int>(v.size()));
    }
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int kColumns[] = {3, 12, 14, 10};  // as FillStatus expects them
  FuzzedDataProvider in(data, size);
  std::vector<ResultPtr> owned;
  std::vector<const PGresult*> raw;
  int count = in.ConsumeBool() ? 4 : in.ConsumeIntegralInRange(0, 5);
  for (int i = 0; i < count; ++i) {
    // Mostly the expected widths, sometimes not.
    int columns =
        in.ConsumeIntegralInRange(0, 9) == 0 ? in.ConsumeIntegralInRange(0, 16) : kColumns[i % 4];
    owned.push_back(MakeResult(in, columns));
    raw.push_back(owned.back().get());
  }
  pgreplica::monitor::NodeStatus node;
  auto error = pgreplica::monitor::FillStatus(node, raw);
  if (error) {
    FUZZ_REQUIRE(!error->empty());
    FUZZ_REQUIRE(node.slots.empty() && node.walsenders.empty());
  } else {
    FUZZ_REQUIRE(node.role == "primary" || node.role == "standby");
  }
  return 0;
}
