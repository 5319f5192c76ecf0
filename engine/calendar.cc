#include "engine/calendar.h"

#include <fstream>
#include <sstream>

namespace credlist {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// 1970-01-01 was a Thursday: day 0 is weekday 4 (Monday = 1 ... Sunday = 7).
bool IsWeekend(Day day) {
  const int weekday = ((day % 7) + 7 + 3) % 7 + 1;
  return weekday >= 6;
}

}  // namespace

Result<WorkCalendar> WorkCalendar::Parse(std::string_view text, std::string_view source) {
  WorkCalendar cal;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    const auto where = std::string(source) + " line " + std::to_string(line_no);
    const size_t space = line.find_first_of(" \t");
    const std::string_view date = line.substr(0, space);
    const std::string_view kind =
        space == std::string_view::npos ? std::string_view{} : Trim(line.substr(space));
    const auto day = ParseIsoDate(date);
    if (!day)
      return Status::Invalid("date", where + ": '" + std::string(date) + "' is not YYYY-MM-DD");
    if (kind == "holiday") {
      cal.holidays_.insert(*day);
    } else if (kind == "workday") {
      cal.workdays_.insert(*day);
    } else {
      return Status::Invalid("kind",
                             where + ": '" + std::string(kind) + "' is not holiday or workday");
    }
  }
  for (Day d : cal.holidays_)
    if (cal.workdays_.contains(d))
      return Status::Invalid("date", std::string(source) + ": " + FormatDate(d) +
                                         " is listed both as a holiday and as a workday");
  return cal;
}

Result<WorkCalendar> WorkCalendar::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

bool WorkCalendar::IsWorkingDay(Day day) const {
  if (holidays_.contains(day)) return false;
  if (workdays_.contains(day)) return true;
  return !IsWeekend(day);
}

Day WorkCalendar::AddWorkingDays(Day from, int n) const {
  Day day = from;
  while (!IsWorkingDay(day)) ++day;
  for (int left = n - 1; left > 0;) {
    ++day;
    if (IsWorkingDay(day)) --left;
  }
  return day;
}

}  // namespace credlist
