// Calendar days (engine/date): the civil-day conversions, the API's date form and month
// arithmetic. Date forms and month sums are tables in tests/cases/.
#include "engine/date.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "tests/case_table.h"

namespace credlist {
namespace {

using testing::CaseRow;
using testing::ReadCases;

TEST(DateTable, IsoDates) {
  for (const CaseRow& row : ReadCases("dates.tsv")) {
    SCOPED_TRACE(row.Where() + " '" + row[0] + "'");
    const std::optional<Day> day = ParseIsoDate(row[0]);
    if (row[1] == "invalid") {
      EXPECT_FALSE(day.has_value()) << "parsed as " << *day;
      continue;
    }
    ASSERT_TRUE(day.has_value());
    EXPECT_EQ(*day, std::stoi(row[1]));
    EXPECT_EQ(FormatDate(*day), row[0]);  // every valid row is canonical
  }
}

TEST(DateTable, AddMonths) {
  for (const CaseRow& row : ReadCases("add_months.tsv")) {
    SCOPED_TRACE(row.Where());
    const std::optional<Day> start = ParseIsoDate(row[0]);
    ASSERT_TRUE(start.has_value()) << row[0];
    EXPECT_EQ(FormatDate(AddMonths(*start, std::stoi(row[1]))), row[2]);
  }
}

// Every day of 1900-2100, in order: DayFromCivil counts up by one, CivilFromDay inverts it,
// and FormatDate / ParseIsoDate agree with both.
TEST(Date, RoundTripEveryDayOf1900To2100) {
  Day expected = DayFromCivil(1900, 1, 1);
  int days = 0, leap_days = 0;
  for (int y = 1900; y <= 2100; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= 31; ++d) {
        if (!IsValidCivil(y, m, d)) {
          EXPECT_GE(d, 29) << y << "-" << m << "-" << d;
          continue;
        }
        leap_days += m == 2 && d == 29;
        const Day day = DayFromCivil(y, m, d);
        ASSERT_EQ(day, expected) << y << "-" << m << "-" << d;
        const CivilDate c = CivilFromDay(day);
        ASSERT_EQ(c.year, y);
        ASSERT_EQ(c.month, m);
        ASSERT_EQ(c.day, d);
        const std::string text = FormatDate(day);
        ASSERT_EQ(ParseIsoDate(text), day) << text;
        ++expected;
        ++days;
      }
    }
  }
  // 201 years; leap years 1904..2096 except 1900 and 2100, with 2000 (a 400-year leap year).
  EXPECT_EQ(leap_days, 49);
  EXPECT_EQ(days, 201 * 365 + 49);
}

TEST(Date, KnownDays) {
  EXPECT_EQ(DayFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DayFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DayFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DayFromCivil(2000, 3, 1) - DayFromCivil(2000, 2, 28), 2);  // 2000 is leap
  EXPECT_EQ(DayFromCivil(1900, 3, 1) - DayFromCivil(1900, 2, 28), 1);  // 1900 is not
  EXPECT_EQ(DayFromCivil(2100, 3, 1) - DayFromCivil(2100, 2, 28), 1);  // nor is 2100
  EXPECT_EQ(DayFromCivil(2024, 3, 1) - DayFromCivil(2024, 2, 28), 2);
  EXPECT_EQ(DayFromCivil(2001, 1, 1) - DayFromCivil(2000, 1, 1), 366);
  EXPECT_EQ(DayFromCivil(1, 1, 1), -719162);
  const CivilDate c = CivilFromDay(19782);
  EXPECT_EQ(c.year, 2024);
  EXPECT_EQ(c.month, 2);
  EXPECT_EQ(c.day, 29);
}

TEST(Date, ValidCivil) {
  EXPECT_TRUE(IsValidCivil(2024, 2, 29));
  EXPECT_FALSE(IsValidCivil(2025, 2, 29));
  EXPECT_TRUE(IsValidCivil(2000, 2, 29));
  EXPECT_FALSE(IsValidCivil(1900, 2, 29));
  EXPECT_FALSE(IsValidCivil(2025, 4, 31));
  EXPECT_TRUE(IsValidCivil(2025, 12, 31));
  EXPECT_FALSE(IsValidCivil(2025, 0, 1));
  EXPECT_FALSE(IsValidCivil(2025, 13, 1));
  EXPECT_FALSE(IsValidCivil(2025, 1, 0));
  EXPECT_FALSE(IsValidCivil(0, 1, 1));
  EXPECT_FALSE(IsValidCivil(10000, 1, 1));
}

TEST(Date, NoDayAndForeverHaveNoText) {
  EXPECT_EQ(FormatDate(kNoDay), "");
  EXPECT_EQ(FormatDate(kForever), "");
  EXPECT_LT(kNoDay, DayFromCivil(1, 1, 1));
  EXPECT_GT(kForever, DayFromCivil(9999, 12, 31));
}

// AddMonths on an absent or open-ended date has nothing to count from; it must not compute
// (CivilFromDay(kForever) would overflow).
TEST(Date, AddMonthsKeepsNoDayAndForever) {
  EXPECT_EQ(AddMonths(kNoDay, 6), kNoDay);
  EXPECT_EQ(AddMonths(kForever, 36), kForever);
}

// Today is the calendar day in Asia/Shanghai (UTC+8, no daylight saving).
TEST(Date, TodayIsShanghaiCalendarDay) {
  const std::time_t before = std::time(nullptr);
  const Day today = Today();
  const std::time_t after = std::time(nullptr);
  const Day lo = static_cast<Day>((before + 8 * 3600) / 86400);
  const Day hi = static_cast<Day>((after + 8 * 3600) / 86400);
  EXPECT_GE(today, lo);
  EXPECT_LE(today, hi);
  EXPECT_GT(today, DayFromCivil(2024, 1, 1));
}

}  // namespace
}  // namespace credlist
