#pragma once
// A list of judged facts (doctor, primary check, clone preflight): built by
// the library, rendered by the CLI as text or JSON.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pgreplica {

enum class CheckStatus { kOk, kWarning, kFail, kSkipped };

struct CheckItem {
  std::string name;  // stable id: "wal_level"
  CheckStatus status = CheckStatus::kOk;
  std::string value;    // what was found: "replica"
  std::string message;  // one sentence for a person
  std::string fix;      // what to do, when not ok
};

struct CheckReport {
  std::vector<CheckItem> items;

  CheckItem& Add(CheckItem item) {
    items.push_back(std::move(item));
    return items.back();
  }
  bool ok() const;  // no item failed
  int Count(CheckStatus s) const;
};

std::string_view StatusName(CheckStatus s);  // "ok", "warning", "fail", "skipped"
nlohmann::json ToJson(const CheckItem& item);
nlohmann::json ToJson(const CheckReport& report);

}  // namespace pgreplica
