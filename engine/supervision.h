// Feedback and supervision: seed 四 (发起、响应、奖惩、反馈) and 七(四) (departments that did not
// apply the measures, 未采取相关限制措施); DESIGN.md §5, API.md "Supervision rows".
//
// A check made by a token holder whose token names a department counts for that department.
// A hit whose result listed at least one measure is kept as one CheckHit, so that the
// department can later say, per measure, what it did (Feedback). The supervision rows put
// beside each other, per department, what it checked and how it answered, and what it
// decided itself (its entries in force).
//
// Plain values and pure functions; thread-safe as values are. Counting lives in the server
// (server/check_log.h), storage in store/ledger_store.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

class Snapshot;
class LiveOverlay;

// The checks of one department on one day that left no CheckHit: every check but the hits
// with measures, which are counted by their rows. So a crash that loses the last second of
// counts never leaves more hits with measures than hits, or hits than checks.
struct CheckCount {
  Day day = kNoDay;
  std::string department;
  uint64_t checks = 0;  // checks with no CheckHit row
  uint64_t hits = 0;    // of those, the hits (status not clear)
};

// One hit whose result listed measures: what feedback is matched against.
struct CheckHit {
  std::string check_id;
  int64_t at_ms = 0;  // Unix milliseconds
  Day day = kNoDay;   // the day of the check, Asia/Shanghai
  std::string department;
  std::string token_id;
  std::string route;                  // subjects, check, screen
  std::string scenario;               // the scenario the measures were listed for
  std::string subject;                // the key checked, canonical
  std::string status;                 // black, watch, red
  std::vector<std::string> measures;  // the measure ids listed, in the result's order
};

enum class FeedbackAction : uint8_t {
  kApplied = 0,        // the measure was applied
  kNotApplicable = 1,  // it did not apply to the matter at hand
  kOther = 2,          // something else: the note says what
};
std::string_view FeedbackActionName(FeedbackAction a);  // applied, not_applicable, other
std::optional<FeedbackAction> ParseFeedbackAction(std::string_view s);

// What a department did about one measure of one check. One per (check_id, measure_id): a
// new one with another action or note replaces it.
struct Feedback {
  std::string check_id;
  std::string measure_id;
  FeedbackAction action = FeedbackAction::kApplied;
  std::string note;
  int64_t at_ms = 0;  // when it was recorded (the first time, for a repeat)
  std::string token_id;
  std::string department;  // the department of the check
};

// A feedback to record (POST /v1/feedback), and, once the writer has committed, what came of
// it. The store checks it against the CheckHit of its check_id in the same transaction.
struct FeedbackRequest {
  Feedback feedback;            // check_id, measure_id, action, note, at_ms, token_id
  std::string department;       // the caller's department
  bool any_department = false;  // an admin answers for any department
  // Set by the commit:
  Status outcome;         // Ok, NotFound (no such hit or measure), PermissionDenied
  bool created = false;   // a new row; otherwise an identical repeat or a replacement
  bool replaced = false;  // an earlier feedback with another action or note was replaced
  Feedback stored;        // the feedback as stored
};

// What the ledger holds for one checking department over a range of days.
struct DepartmentChecks {
  std::string department;
  uint64_t checks = 0;
  uint64_t hits = 0;
  uint64_t hits_with_measures = 0;
  uint64_t hits_without_feedback = 0;  // with measures, and some listed measure unanswered
};

// The entries in force on a day per deciding department, by list (ListKind order).
struct DepartmentEntries {
  std::string department;
  std::array<uint64_t, kListKinds> lists{};
};

// Entries that count on `day`: those of the snapshot not superseded by a live entry, and the
// live entries that count (engine/live.h). Sorted by department. `live` may be null.
std::vector<DepartmentEntries> CountEntriesByDepartment(const Snapshot& snap,
                                                        const LiveOverlay* live, Day day);

// One supervision row (API.md).
struct SupervisionRow {
  DepartmentChecks checks;  // checks.department is the row's department
  std::array<uint64_t, kListKinds> entries{};
  // (hits_with_measures - hits_without_feedback) / hits_with_measures: the share of hits
  // with measures whose every listed measure has feedback; none when there was no such hit.
  std::optional<double> feedback_rate() const;
};

// One row per department of either side, sorted by hits_without_feedback descending (the
// figure 七(四) asks about), then hits_with_measures descending, then department.
std::vector<SupervisionRow> SupervisionRows(std::vector<DepartmentChecks> checks,
                                            std::vector<DepartmentEntries> entries);

// The period a report covers: kNoDay for an open end.
struct SupervisionPeriod {
  Day from = kNoDay;
  Day to = kNoDay;
  Day entries_on = kNoDay;  // the day entries are counted on
};

// {"from","to","entries_on","departments":[rows]}.
void WriteSupervisionJson(const std::vector<SupervisionRow>& rows, const SupervisionPeriod& period,
                          std::string* out);
// A UTF-8 BOM (so that Excel reads it), a header, one line per row; hits_without_feedback
// right after department, feedback_rate empty when none. RFC 4180 quoting.
void WriteSupervisionCsv(const std::vector<SupervisionRow>& rows, std::string* out);

}  // namespace credlist
