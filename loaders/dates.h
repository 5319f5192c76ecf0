// Dates and validity periods as people write them in a 报送表 cell (API.md, "Input records").
//
// A date: 2025-03-01, 2025-3-1, 2025/3/1, 2025.03.01, 2025年3月1日 (or …日 → …号), 20250301;
// full-width digits and punctuation (２０２５／３／１) are read as their ASCII forms, and a time
// of day after the date (Excel's "2025/3/1 0:00") is ignored.
//
// A validity (有效期 / 处罚有效期) gives the half-open interval [valid_from, valid_until):
//   - empty, 长期, 永久, 长期有效, 永久有效, 无期限      → [认定日期, no end)
//   - an end date, the LAST day in force                 → [认定日期, end + 1 day)
//   - a range start至end (also 到, ~, or '-' between two dates; 起/止 allowed:
//     2025年3月1日起至2028年2月28日止), end inclusive    → [start, end + 1 day);
//     an end of 长期/永久 leaves it open
//   - a duration from 认定日期: 3年, 6个月, 1年6个月, 半年, 三年 → [认定日期, 认定日期 + N months):
//     the entry stops on the same day N years or months later (the last day of the month when
//     that month is shorter)
// A duration needs 认定日期; a range or end date before its start is an error.
//
// Errors are Status values naming the API field (decided_on, valid_from or valid_until) and
// saying what was wrong with the text. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/status.h"

namespace credlist {

// Trims ASCII, ideographic (U+3000) and no-break (U+00A0) spaces and maps full-width ASCII
// (U+FF01-U+FF5E) to ASCII.
std::string NormalizeFormText(std::string_view text);

// One date in any of the forms above. `field` names the field in the error.
Result<Day> ParseFormDate(std::string_view text, std::string_view field = "decided_on");

struct Validity {
  Day valid_from = kNoDay;     // the range's start, else decided_on (kNoDay when none)
  Day valid_until = kForever;  // exclusive; kForever when open-ended
};

// A validity cell, given the row's 认定日期 (kNoDay when it has none).
Result<Validity> ParseValidity(std::string_view text, Day decided_on);

}  // namespace credlist
