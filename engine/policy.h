// Policy: the scenarios in which a check is made (seed 四(一): 行政许可, 行政处罚, 行政检查,
// 财政资金支持, 金融机构融资授信, 招录, 政府采购, 政府投资项目招标, 表彰奖励, 公共服务).
// The memoranda catalogue and the measures that apply per scenario come with the policy
// issue; until then a check with a scenario lists no measures. Pure, thread-safe.
#pragma once

#include <array>
#include <string_view>

namespace credlist {

inline constexpr std::array<std::string_view, 10> kScenarios = {
    "licensing", "penalty",     "inspection", "fiscal_funds", "financing",
    "hiring",    "procurement", "bidding",    "commendation", "public_service"};

inline bool IsScenario(std::string_view s) {
  for (std::string_view k : kScenarios)
    if (k == s) return true;
  return false;
}

}  // namespace credlist
