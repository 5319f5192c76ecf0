// Calendar days: the unit of every date in credlist (认定日期, 有效期, as_of).
//
// A Day is the number of days since 1970-01-01 in the proleptic Gregorian calendar, as seen in
// Asia/Shanghai (UTC+8, no daylight saving). kNoDay marks an absent date; kForever an open end
// (a validity with no end compares after every real day). All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace credlist {

using Day = int32_t;
inline constexpr Day kNoDay = std::numeric_limits<Day>::min();
inline constexpr Day kForever = std::numeric_limits<Day>::max();

struct CivilDate {
  int year;
  int month;  // 1-12
  int day;    // 1-31
};

bool IsValidCivil(int year, int month, int day);
Day DayFromCivil(int year, int month, int day);  // the caller has checked IsValidCivil
CivilDate CivilFromDay(Day day);

// Strict YYYY-MM-DD (the API's one form); nullopt for anything else or an impossible date.
std::optional<Day> ParseIsoDate(std::string_view text);
// YYYY-MM-DD; "" for kNoDay and kForever.
std::string FormatDate(Day day);
// The same into out[0, 10) (a day of years 0-9999), for writers that format many: no
// allocation, no printf. Returns out + 10.
char* FormatDateTo(Day day, char* out);

// The same calendar day `months` later; the last day of the month when it has fewer days
// (2024-01-31 + 1 month = 2024-02-29). kNoDay and kForever are returned as they are.
Day AddMonths(Day day, int months);

// Today in Asia/Shanghai.
Day Today();

}  // namespace credlist
