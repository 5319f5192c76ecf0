// Entry: one listing of one subject (DESIGN.md §3), and the plain enums that describe it.
//
// An Entry owns its strings; it is what loaders produce, the store keeps and the snapshot is
// built from. The snapshot keeps entries in its own compact form (snapshot.h). Plain value
// types: no invariants beyond those Validate() in engine/validate.h checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/ids.h"

namespace credlist {

enum class ListKind : uint8_t {
  kRed = 0,    // 红名单, 守信联合激励对象
  kBlack = 1,  // 黑名单, 失信联合惩戒对象
  kWatch = 2,  // 重点关注名单
};
inline constexpr int kListKinds = 3;

enum class SubjectType : uint8_t {
  kLegalPerson = 0,    // 法人
  kNaturalPerson = 1,  // 自然人
  kOtherOrg = 2,       // 其他组织
};

enum class State : uint8_t {
  kSubmitted = 0,
  kRejected = 1,     // failed the cross-check (交叉比对)
  kPublicity = 2,    // 公示
  kUnderReview = 3,  // an objection is open
  kInForce = 4,
  kCancelled = 5,
  kExited = 6,
};

enum class ExitReason : uint8_t {
  kNone = 0,
  kObjectionUpheld = 1,
  kExpired = 2,
  kStandardChanged = 3,
  kListedBlackOrWatch = 4,
  kImproperUse = 5,
  kRepaired = 6,  // 信用修复
  kLawSpecific = 7,
  kEscalatedToBlack = 8,  // a watch entry whose subject came onto the black list (DESIGN.md §4)
};

std::string_view ListKindName(ListKind v);  // "red", "black", "watch"
std::string_view SubjectTypeName(SubjectType v);
std::string_view StateName(State v);
std::string_view ExitReasonName(ExitReason v);
std::optional<ListKind> ParseListKind(std::string_view s);
std::optional<SubjectType> ParseSubjectType(std::string_view s);
std::optional<State> ParseState(std::string_view s);
std::optional<ExitReason> ParseExitReason(std::string_view s);

// Memoranda of 附件 3 by their stable ids: P01..P43 (惩戒), R01..R05 (激励), J01..J03 (奖惩),
// numbered 0..50 so that an entry's memoranda fit one 64-bit mask.
inline constexpr int kMemoranda = 51;
std::optional<int> ParseMemorandumId(std::string_view id);  // "P06" -> 5
std::string MemorandumId(int index);                        // 5 -> "P06"

struct Entry {
  std::string entry_id;
  ListKind list = ListKind::kBlack;
  std::string category;  // 红名单类型 / 黑名单类型, e.g. 失信被执行人
  SubjectType subject_type = SubjectType::kLegalPerson;
  std::string name;  // 企业名称 or 姓名
  Key uscc;          // empty when absent
  Key reg_no;
  Key id_number;
  std::string id_type;  // 证件类型, e.g. 居民身份证
  std::string legal_rep;
  Key legal_rep_id;
  std::string conduct;     // 守信行为 / 违法失信行为
  std::string outcome;     // 获得奖励 / 处罚结果
  std::string department;  // 认定部门
  std::string basis;       // 认定依据
  Day decided_on = kNoDay;
  Day valid_from = kNoDay;
  Day valid_until = kForever;  // exclusive; kForever when open-ended
  uint64_t memoranda = 0;      // bit i: memorandum i (ParseMemorandumId)
  State state = State::kInForce;
  ExitReason exit_reason = ExitReason::kNone;
  Day in_force_on = kNoDay;  // the day it came into force; kNoDay: valid_from
  Day exited_on = kNoDay;    // the day it stopped counting; kNoDay: never

  friend bool operator==(const Entry&, const Entry&) = default;
};

// Whether the entry counts on `day` (API.md): in force on that day (came into force on or
// before it, not exited on or before it) and valid_from <= day < valid_until.
inline bool CountsOn(State state, Day in_force_on, Day exited_on, Day valid_from, Day valid_until,
                     Day day) {
  if (state != State::kInForce && state != State::kExited && state != State::kUnderReview)
    return false;
  if (state == State::kExited && exited_on == kNoDay) return false;  // exit date unknown
  if (in_force_on != kNoDay && day < in_force_on) return false;
  if (exited_on != kNoDay && day >= exited_on) return false;
  return valid_from <= day && day < valid_until;
}

}  // namespace credlist
