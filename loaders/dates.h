// Dates and validity periods as people write them in a 报送表 cell (API.md, "Input records").
//
// A date: 2025-03-01, 2025-3-1, 2025/3/1, 2025.03.01, 2025年3月1日 (or …日 → …号; spaces
// allowed around 年 月 日), 20250301; full-width digits and punctuation (２０２５／３／１) are
// read as their ASCII forms. After the date may come
//   - a weekday: 星期一, 周一, 礼拜一 (日 or 天 for Sunday), maybe in brackets, with or without
//     a space before it; it must be the date's weekday ("2026年1月5日星期二" is an error);
//   - a time of day after a space (or 'T'): 0:00, 0:00:00, 12:00:00 AM, 下午 3:30 — what Excel
//     writes for a date-time cell. Any valid time is accepted and ignored: the day is what a
//     decision is dated by, and a clerk who typed 2025/3/1 9:30 means 2025-03-01. A time that
//     cannot be (25:00, 13:00 PM) makes the cell an error.
// Rejected with a message that says how to fix them:
//   - the year last (3/9/2026, 03-09-2026): day and month cannot be told apart; the message
//     gives the readings that are real dates (write it as 2026-03-09 or 2026-09-03). One
//     reading only (13/9/2026) is still rejected: a column that writes the year last may hold
//     either order, and guessing differently from row to row would be worse;
//   - five digits (46027, 46027.5): an Excel date serial, a date cell saved as a number; the
//     message names the date it stands for (2026-01-05) and asks for the column formatted as
//     text or date.
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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/status.h"

namespace credlist {

// The day an Excel date serial stands for, in Excel's 1900 date system (serial 1 is
// 1900-01-01; serial 60 is the 1900-02-29 Excel wrongly believes in: nullopt, as are serials
// below 1 or past 9999-12-31).
std::optional<Day> ExcelSerialToDay(int64_t serial);

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
