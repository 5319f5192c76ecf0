#include "engine/date.h"

#include <cstdio>
#include <ctime>

namespace credlist {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool IsValidCivil(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

// Counts days through 400-year eras of 146097 days, with the year starting on March 1 so that
// the leap day falls at the end of it.
Day DayFromCivil(int year, int month, int day) {
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int year_of_era = y - era * 400;
  const int shifted_month = month > 2 ? month - 3 : month + 9;
  const int day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilDate CivilFromDay(Day d) {
  const int z = d + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int day_of_era = z - era * 146097;
  const int year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int shifted_month = (5 * day_of_year + 2) / 153;
  const int day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

std::optional<Day> ParseIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  // Ten characters at fixed places: the digits read directly (a load parses three a record).
  auto digits = [&](size_t pos, size_t len, int& out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      const unsigned digit = static_cast<unsigned char>(s[i]) - unsigned{'0'};
      if (digit > 9) return false;
      v = v * 10 + static_cast<int>(digit);
    }
    out = v;
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (!IsValidCivil(y, m, d)) return std::nullopt;
  return DayFromCivil(y, m, d);
}

char* FormatDateTo(Day day, char* out) {
  const CivilDate c = CivilFromDay(day);
  auto put = [&out](int v, int digits) {
    for (int i = digits - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
    out += digits;
  };
  put(c.year, 4);
  *out++ = '-';
  put(c.month, 2);
  *out++ = '-';
  put(c.day, 2);
  return out;
}

std::string FormatDate(Day day) {
  if (day == kNoDay || day == kForever) return "";
  char buf[10];
  return std::string(buf, FormatDateTo(day, buf));
}

Day AddMonths(Day day, int months) {
  if (day == kNoDay || day == kForever) return day;  // no date: nothing to count from
  const CivilDate c = CivilFromDay(day);
  const int total = c.year * 12 + (c.month - 1) + months;
  const int y = total / 12, m = total % 12 + 1;
  const int d = c.day <= DaysInMonth(y, m) ? c.day : DaysInMonth(y, m);
  return DayFromCivil(y, m, d);
}

Day Today() {
  const std::time_t now = std::time(nullptr) + 8 * 3600;  // Asia/Shanghai, no DST since 1991
  return static_cast<Day>(now / 86400);
}

}  // namespace credlist
