// WorkCalendar: working days, for the publicity window (公示期, DESIGN.md §4).
//
// A working day is Monday to Friday, unless the calendar lists it as a holiday, plus the
// weekend days it lists as working days (调休: the Saturday or Sunday worked in exchange for a
// longer holiday). The calendar is data (data/holidays.txt, format in docs/formats.md), since
// the State Council fixes the holidays year by year. Immutable once built; thread-safe.
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/status.h"

namespace credlist {

class WorkCalendar {
 public:
  // Weekends only.
  WorkCalendar() = default;

  // From the text of a calendar file: one day a line, "YYYY-MM-DD holiday" or
  // "YYYY-MM-DD workday"; '#' starts a comment; blank lines are skipped. An error names the
  // line and the reason, and nothing is kept.
  static Result<WorkCalendar> Parse(std::string_view text, std::string_view source);
  static Result<WorkCalendar> ReadFile(const std::string& path);

  bool IsWorkingDay(Day day) const;
  // The last day of a window of `n` working days (n >= 1) that starts on `from`: `from` is the
  // first of them when it is a working day, else the first working day after it.
  Day AddWorkingDays(Day from, int n) const;

  size_t holidays() const { return holidays_.size(); }
  size_t workdays() const { return workdays_.size(); }

 private:
  boost::unordered_flat_set<Day> holidays_;
  boost::unordered_flat_set<Day> workdays_;
};

}  // namespace credlist
