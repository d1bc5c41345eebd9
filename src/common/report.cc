#include "common/report.h"

#include <algorithm>
#include <utility>

namespace pgreplica {

CheckItem CheckItem::Of(CheckStatus status, std::string name, std::string value,
                        std::string message, std::string fix) {
  if (status == CheckStatus::kOk) fix.clear();
  return {std::move(name), status, std::move(value), std::move(message), std::move(fix)};
}

CheckItem CheckItem::Ok(std::string name, std::string value, std::string message) {
  return Of(CheckStatus::kOk, std::move(name), std::move(value), std::move(message));
}

CheckItem CheckItem::Warn(std::string name, std::string value, std::string message,
                          std::string fix) {
  return Of(CheckStatus::kWarning, std::move(name), std::move(value), std::move(message),
            std::move(fix));
}

CheckItem CheckItem::Fail(std::string name, std::string value, std::string message,
                          std::string fix) {
  return Of(CheckStatus::kFail, std::move(name), std::move(value), std::move(message),
            std::move(fix));
}

CheckItem CheckItem::Skip(std::string name, std::string value, std::string message) {
  return Of(CheckStatus::kSkipped, std::move(name), std::move(value), std::move(message));
}

CheckItem CheckItem::OkOrFail(bool ok, std::string name, std::string value, std::string message,
                              std::string fix) {
  return Of(ok ? CheckStatus::kOk : CheckStatus::kFail, std::move(name), std::move(value),
            std::move(message), std::move(fix));
}

bool CheckReport::ok() const { return Count(CheckStatus::kFail) == 0; }

int CheckReport::Count(CheckStatus s) const {
  return static_cast<int>(
      std::count_if(items.begin(), items.end(), [s](const CheckItem& i) { return i.status == s; }));
}

std::string_view StatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kWarning:
      return "warning";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kSkipped:
      return "skipped";
  }
  return "?";
}

nlohmann::json ToJson(const CheckItem& i) {
  nlohmann::json j = {{"name", i.name}, {"status", StatusName(i.status)}, {"message", i.message}};
  if (!i.value.empty()) j["value"] = i.value;
  if (!i.fix.empty()) j["fix"] = i.fix;
  return j;
}

nlohmann::json ToJson(const CheckReport& r) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : r.items) items.push_back(ToJson(i));
  return {{"ok", r.ok()},
          {"failures", r.Count(CheckStatus::kFail)},
          {"warnings", r.Count(CheckStatus::kWarning)},
          {"checks", items}};
}

}  // namespace pgreplica
