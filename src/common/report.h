#pragma once
// A list of judged facts (doctor, primary check, clone preflight): built by
// the library through the CheckItem builders below, rendered by the CLI as
// text or JSON (ToJson).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pgreplica {

enum class CheckStatus { kOk, kWarning, kFail, kSkipped };

struct CheckItem {
  std::string name;  // stable id: "wal_level"
  CheckStatus status = CheckStatus::kOk;
  std::string value;    // what was found: "replica"
  std::string message;  // one sentence for a person
  std::string fix;      // what to do; empty when ok

  // The builders of every check report. An ok item has nothing to fix: Of and OkOrFail drop
  // `fix` when the status is ok.
  static CheckItem Of(CheckStatus status, std::string name, std::string value, std::string message,
                      std::string fix = {});
  static CheckItem Ok(std::string name, std::string value, std::string message);
  static CheckItem Warn(std::string name, std::string value, std::string message,
                        std::string fix = {});
  static CheckItem Fail(std::string name, std::string value, std::string message,
                        std::string fix = {});
  static CheckItem Skip(std::string name, std::string value, std::string message);
  // Ok when `ok`, else failed with `fix`.
  static CheckItem OkOrFail(bool ok, std::string name, std::string value, std::string message,
                            std::string fix);
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
