// JSON encoding of entries and check results (API.md "A check result"), with masking.
//
// Masking (API.md "Roles"): for an anonymous caller, a natural person's name keeps its first
// character and masks each other one (张*, 欧**), and a certificate number keeps its first 6
// and last 4 characters. That holds for the subject of a natural-person entry and for every
// legal representative, and for the key echoed back when it is an ID number. Functions append
// to a caller-owned string and allocate nothing else; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/check.h"
#include "engine/json_writer.h"
#include "engine/masking.h"
#include "engine/policy.h"
#include "engine/snapshot.h"

namespace credlist {

enum class Visibility : uint8_t {
  kPublic,  // anonymous: natural persons masked
  kFull,    // a token holder or the command line
};

// One entry of a snapshot as an API.md record, plus state and exit_reason.
void WriteEntry(const Snapshot& snap, uint32_t index, Visibility vis, JsonWriter& w);
// The same for a live entry (engine/live.h), with the state a reader sees today.
void WriteEntry(const LiveEntry& e, Visibility vis, JsonWriter& w);

// The measures a check lists (DESIGN.md §5): those `policy` calls for in `scenario` for the
// subject's counting entries; none (an empty "measures") without a policy or a scenario.
struct MeasureContext {
  const Policy* policy = nullptr;
  int scenario = -1;  // index into kScenarios
};

// The lists a check's counting entries are on, with their memoranda: what the measures of
// the result are drawn from (Policy::AppendForSubject lists the same measures, as indices).
SubjectLists SubjectListsOf(const Snapshot& snap, const CheckResult& r);

// The members of a check result, without the enclosing braces, so that callers can add their
// own ("row" in screening). `raw_key` is echoed when the key did not parse.
void WriteCheckMembers(const Snapshot& snap, const CheckResult& r, Day as_of,
                       std::string_view check_id, Visibility vis, JsonWriter& w,
                       const MeasureContext& measures = {});

// A new check id: unique within the process and, with high probability, across restarts.
std::string_view NextCheckId(char (&buf)[24]);

}  // namespace credlist
