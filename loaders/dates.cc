#include "loaders/dates.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace credlist {
namespace {

constexpr std::string_view kNian = "年";
constexpr std::string_view kYue = "月";
constexpr std::string_view kGeYue = "个月";
constexpr std::string_view kRi = "日";
constexpr std::string_view kHao = "号";
constexpr std::string_view kDateForms = "2025-03-01, 2025/3/1, 2025.03.01 or 2025年3月1日";

constexpr std::array<std::string_view, 6> kOpenEnded = {"长期",     "永久",   "长期有效",
                                                        "永久有效", "无期限", "无固定期限"};

bool IsOpenEnded(std::string_view s) {
  if (s.empty()) return true;
  for (std::string_view w : kOpenEnded)
    if (s == w) return true;
  return false;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool Consume(std::string_view* s, std::string_view prefix) {
  if (!s->starts_with(prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// Up to `max` ASCII digits; -1 when there is none.
int ConsumeNumber(std::string_view* s, size_t max, size_t* count) {
  int v = 0;
  size_t n = 0;
  while (n < s->size() && n < max && IsDigit((*s)[n])) v = v * 10 + ((*s)[n++] - '0');
  *count = n;
  s->remove_prefix(n);
  return n == 0 ? -1 : v;
}

int DaysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Why a text is not a date, for the message (see DateMessage).
struct NotADate {
  enum Kind : uint8_t {
    kShape,     // not shaped like a date at all
    kNotReal,   // shaped like one, but no such day: `detail` says why
    kSentence,  // `detail` is the whole explanation, said after the quoted text
  };
  Kind kind = kShape;
  std::string detail;
};

void SkipSpaces(std::string_view* s) {
  while (!s->empty() && (*s)[0] == ' ') s->remove_prefix(1);
}

bool ConsumeAsciiNoCase(std::string_view* s, std::string_view word) {
  if (s->size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = (*s)[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  s->remove_prefix(word.size());
  return true;
}

// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
int WeekdayOf(Day day) { return static_cast<int>(((day % 7) + 7 + 4) % 7); }

constexpr std::array<std::string_view, 7> kWeekdayNames = {"日", "一", "二", "三",
                                                           "四", "五", "六"};

// A weekday after a date: 星期一, 周一, 礼拜一 (日 or 天 for Sunday), maybe in brackets.
// -1 when `s` does not start with one (nothing consumed), else 0-6.
int ConsumeWeekday(std::string_view* s) {
  std::string_view t = *s;
  const bool bracket = Consume(&t, "(");
  SkipSpaces(&t);
  if (!Consume(&t, "星期") && !Consume(&t, "周") && !Consume(&t, "礼拜")) return -1;
  int day = -1;
  if (Consume(&t, "天")) day = 0;
  for (int i = 0; i < 7 && day < 0; ++i)
    if (Consume(&t, kWeekdayNames[i])) day = i;
  if (day < 0) return -1;
  if (bracket) {
    SkipSpaces(&t);
    if (!Consume(&t, ")")) return -1;
  }
  *s = t;
  return day;
}

// A time of day: [上午|下午] H:MM[:SS[.fff]] [AM|PM]. Whether it is one; `*midnight` says
// whether it is 0:00:00 (12:00:00 AM).
bool ParseTimeOfDay(std::string_view s, bool* midnight) {
  int half = 0;  // 1: AM, 2: PM
  if (Consume(&s, "上午")) half = 1;
  if (half == 0 && Consume(&s, "下午")) half = 2;
  SkipSpaces(&s);
  size_t n = 0;
  const int h = ConsumeNumber(&s, 2, &n);
  if (n == 0 || !Consume(&s, ":")) return false;
  const int m = ConsumeNumber(&s, 2, &n);
  if (n != 2) return false;
  int sec = 0;
  bool fraction = false;
  if (Consume(&s, ":")) {
    sec = ConsumeNumber(&s, 2, &n);
    if (n != 2) return false;
    if (Consume(&s, ".")) {
      if (s.empty() || !IsDigit(s[0])) return false;
      while (!s.empty() && IsDigit(s[0])) {
        fraction = fraction || s[0] != '0';
        s.remove_prefix(1);
      }
    }
  }
  SkipSpaces(&s);
  if (half == 0) {
    if (ConsumeAsciiNoCase(&s, "AM"))
      half = 1;
    else if (ConsumeAsciiNoCase(&s, "PM"))
      half = 2;
  }
  if (!s.empty() || m > 59 || sec > 59) return false;
  int hour = h;
  if (half != 0) {
    if (h < 1 || h > 12) return false;
    hour = h % 12 + (half == 2 ? 12 : 0);
  } else if (h > 23) {
    return false;
  }
  *midnight = hour == 0 && m == 0 && sec == 0 && !fraction;
  return true;
}

// 1-2 digits, a separator, 1-2 digits, the same separator, 4 digits: a date with its year last
// (3/9/2026), whose day and month may be in either order.
bool IsYearLast(std::string_view s, int* a, int* b, int* y) {
  size_t n = 0;
  *a = ConsumeNumber(&s, 2, &n);
  if (n == 0 || s.empty() || (s[0] != '/' && s[0] != '-' && s[0] != '.')) return false;
  const char sep = s[0];
  s.remove_prefix(1);
  *b = ConsumeNumber(&s, 2, &n);
  if (n == 0 || !Consume(&s, std::string_view(&sep, 1))) return false;
  *y = ConsumeNumber(&s, 4, &n);
  if (n != 4) return false;
  SkipSpaces(&s);
  bool midnight = false;
  return s.empty() || ParseTimeOfDay(s, &midnight);
}

// Five digits, maybe with a fraction: what Excel saves for a date cell formatted as a number.
std::optional<int> ExcelSerialText(std::string_view s) {
  size_t n = 0;
  const int v = ConsumeNumber(&s, 6, &n);
  if (n != 5) return std::nullopt;
  if (Consume(&s, ".")) {
    if (s.empty()) return std::nullopt;
    for (char c : s)
      if (!IsDigit(c)) return std::nullopt;
    s = {};
  }
  if (!s.empty()) return std::nullopt;
  return v;
}

// A date in normalised text; on failure, why not.
std::optional<Day> ParseDateText(std::string_view s, NotADate* why) {
  const std::string_view whole = s;
  size_t n = 0;
  int y = ConsumeNumber(&s, 8, &n);
  int m = 0, d = 0;
  if (n == 8) {  // 20250301
    m = y / 100 % 100;
    d = y % 100;
    y /= 10000;
  } else if (n == 4) {
    size_t mn = 0, dn = 0;
    std::string_view t = s;
    SkipSpaces(&t);
    if (!s.empty() && (s[0] == '-' || s[0] == '/' || s[0] == '.')) {
      const char sep = s[0];
      s.remove_prefix(1);
      m = ConsumeNumber(&s, 2, &mn);
      if (mn == 0 || s.empty() || s[0] != sep) return std::nullopt;
      s.remove_prefix(1);
      d = ConsumeNumber(&s, 2, &dn);
      if (dn == 0) return std::nullopt;
    } else if (Consume(&t, kNian)) {  // 2025年3月1日, spaces allowed around the numbers
      s = t;
      SkipSpaces(&s);
      m = ConsumeNumber(&s, 2, &mn);
      SkipSpaces(&s);
      if (mn == 0 || !Consume(&s, kYue)) return std::nullopt;
      SkipSpaces(&s);
      d = ConsumeNumber(&s, 2, &dn);
      if (dn == 0) return std::nullopt;
      t = s;
      SkipSpaces(&t);
      if (Consume(&t, kRi) || Consume(&t, kHao)) s = t;
    } else {
      return std::nullopt;
    }
  } else {
    int a = 0, b = 0, year = 0;
    if (IsYearLast(whole, &a, &b, &year)) {
      std::string readings;
      for (auto [mm, dd] : {std::pair{a, b}, std::pair{b, a}}) {
        if (!IsValidCivil(year, mm, dd)) continue;
        const std::string iso = FormatDate(DayFromCivil(year, mm, dd));
        if (readings.find(iso) != std::string::npos) continue;
        readings += (readings.empty() ? "" : " or ") + iso;
      }
      if (readings.empty()) return std::nullopt;
      why->kind = NotADate::kSentence;
      why->detail = readings.find(" or ") != std::string::npos
                        ? "has its year last, so its day and month cannot be told apart; write "
                          "it as " +
                              readings
                        : "has its year last, where day and month come in either order; write "
                          "it as " +
                              readings;
      return std::nullopt;
    }
    if (auto serial = ExcelSerialText(whole)) {
      why->kind = NotADate::kSentence;
      why->detail = "looks like an Excel date serial for " +
                    FormatDate(*ExcelSerialToDay(*serial)) +
                    "; format the column as text or date and save the file again";
    }
    return std::nullopt;
  }
  // After the date: a weekday (星期一, 周一), a time of day after a space or 'T' (Excel writes
  // "2025/3/1 0:00"), or both. The time is ignored, whatever it is: the day is what counts.
  size_t before = s.size();
  SkipSpaces(&s);
  bool spaced = s.size() < before;
  const int weekday = ConsumeWeekday(&s);
  if (weekday >= 0) {
    before = s.size();
    SkipSpaces(&s);
    spaced = s.size() < before;
  }
  if (!s.empty()) {
    if (!spaced && (weekday >= 0 || s[0] != 'T')) return std::nullopt;
    if (!spaced) s.remove_prefix(1);
    bool midnight = false;
    if (!ParseTimeOfDay(s, &midnight)) return std::nullopt;
  }
  if (m < 1 || m > 12) {
    why->kind = NotADate::kNotReal;
    why->detail = "there is no month " + std::to_string(m);
    return std::nullopt;
  }
  if (y < 1 || d < 1 || d > DaysIn(y, m)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", y, m);
    why->kind = NotADate::kNotReal;
    why->detail = d < 1 ? std::string("there is no day 0")
                        : std::string(buf) + " has " + std::to_string(DaysIn(y, m)) + " days";
    if (y < 1) why->detail = "there is no year 0";
    return std::nullopt;
  }
  const Day day = DayFromCivil(y, m, d);
  if (weekday >= 0 && WeekdayOf(day) != weekday) {
    why->kind = NotADate::kSentence;
    why->detail = "names the wrong weekday: " + FormatDate(day) + " is a 星期" +
                  std::string(kWeekdayNames[WeekdayOf(day)]) + ", not a 星期" +
                  std::string(kWeekdayNames[weekday]);
    return std::nullopt;
  }
  return day;
}

// "'text' is not a date (…)" and the like: `subject` is the quoted text with what precedes it.
std::string DateMessage(const std::string& subject, const NotADate& why) {
  switch (why.kind) {
    case NotADate::kShape:
      return subject + " is not a date (write it as " + std::string(kDateForms) + ")";
    case NotADate::kNotReal:
      return subject + " is not a real date: " + why.detail;
    case NotADate::kSentence:
      break;
  }
  return subject + " " + why.detail;
}

// A count in ASCII digits or Chinese numerals (一 … 九十九, 两); -1 when there is none.
int ConsumeCount(std::string_view* s) {
  size_t n = 0;
  const int v = ConsumeNumber(s, 4, &n);
  if (n > 0) return v;
  static constexpr std::array<std::string_view, 10> kDigits = {"零", "一", "二", "三", "四",
                                                               "五", "六", "七", "八", "九"};
  auto digit = [&](std::string_view* t) -> int {
    if (Consume(t, "两")) return 2;
    for (int i = 0; i < 10; ++i)
      if (Consume(t, kDigits[i])) return i;
    return -1;
  };
  std::string_view t = *s;
  int tens = 0;
  int first = digit(&t);
  if (Consume(&t, "十")) {
    tens = first < 0 ? 1 : first;
    const int ones = digit(&t);
    *s = t;
    return tens * 10 + (ones < 0 ? 0 : ones);
  }
  if (first < 0) return -1;
  *s = t;
  return first;
}

// A duration in months: 3年, 6个月, 6月, 1年6个月, 半年, 三年. nullopt when `s` is not one.
std::optional<int> ParseDurationMonths(std::string_view s) {
  std::string compact;
  for (char c : s)
    if (!IsSpace(c)) compact.push_back(c);
  std::string_view t = compact;
  if (t == "半年") return 6;
  int months = 0;
  bool any = false;
  std::string_view before = t;
  const int years = ConsumeCount(&t);
  if (years >= 0 && Consume(&t, kNian)) {
    if (years > 100) return std::nullopt;
    months += 12 * years;
    any = true;
  } else {
    t = before;
  }
  if (!t.empty()) {
    const int m = ConsumeCount(&t);
    if (m < 0 || !(Consume(&t, kGeYue) || Consume(&t, kYue)) || m > 1200) return std::nullopt;
    months += m;
    any = true;
  }
  if (!any || !t.empty() || months == 0) return std::nullopt;
  return months;
}

// A date of a validity, with a precise error for `field`.
Result<Day> ParseValidityDate(std::string_view s, std::string_view field, std::string_view what) {
  NotADate why;
  if (auto d = ParseDateText(s, &why)) return *d;
  return Status::Invalid(std::string(field), DateMessage(std::string(what) + " " + Quoted(s), why));
}

Result<Validity> ParseRange(std::string_view whole, std::string_view left, std::string_view right,
                            Day decided_on) {
  left = Trim(left);
  right = Trim(right);
  if (Consume(&left, "自") || Consume(&left, "从")) left = Trim(left);
  if (left.ends_with("起"))
    left = Trim(left.substr(0, left.size() - std::string_view("起").size()));
  if (right.ends_with("为止")) right.remove_suffix(std::string_view("为止").size());
  if (right.ends_with("止")) right.remove_suffix(std::string_view("止").size());
  right = Trim(right);
  Validity v;
  v.valid_from = decided_on;
  if (!left.empty()) {
    auto start = ParseValidityDate(left, "valid_from", "the range's start");
    if (!start.ok()) return start.status();
    v.valid_from = *start;
  }
  if (right == "今" || IsOpenEnded(right)) {
    if (right.empty())
      return Status::Invalid("valid_until", "the range " + Quoted(whole) + " has no end");
    return v;
  }
  auto end = ParseValidityDate(right, "valid_until", "the range's end");
  if (!end.ok()) return end.status();
  if (v.valid_from != kNoDay && *end < v.valid_from)
    return Status::Invalid("valid_until", Quoted(whole) + " ends (" + FormatDate(*end) +
                                              ") before it starts (" + FormatDate(v.valid_from) +
                                              ")");
  v.valid_until = *end + 1;
  return v;
}

}  // namespace

std::string NormalizeFormText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xEF && i + 2 < text.size()) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      const auto c2 = static_cast<unsigned char>(text[i + 2]);
      // U+FF01-U+FF3F is EF BC 81-BF, U+FF40-U+FF5E is EF BD 80-9E: ASCII 0x21-0x7E.
      if (c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF) {
        out.push_back(static_cast<char>(c2 - 0x81 + 0x21));
        i += 3;
        continue;
      }
      if (c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E) {
        out.push_back(static_cast<char>(c2 - 0x80 + 0x60));
        i += 3;
        continue;
      }
    }
    if (c == 0xE3 && i + 2 < text.size() && text[i + 1] == '\x80' && text[i + 2] == '\x80') {
      out.push_back(' ');  // U+3000 ideographic space
      i += 3;
      continue;
    }
    if (c == 0xC2 && i + 1 < text.size() && text[i + 1] == '\xA0') {
      out.push_back(' ');  // U+00A0 no-break space
      i += 2;
      continue;
    }
    out.push_back(static_cast<char>(c));
    ++i;
  }
  return std::string(Trim(out));
}

Result<Day> ParseFormDate(std::string_view text, std::string_view field) {
  const std::string s = NormalizeFormText(text);
  if (s.empty()) return Status::Invalid(std::string(field), "is empty");
  NotADate why;
  if (auto d = ParseDateText(s, &why)) return *d;
  return Status::Invalid(std::string(field), DateMessage(Quoted(text), why));
}

std::optional<Day> ExcelSerialToDay(int64_t serial) {
  // Excel's 1900 date system counts 1900-01-01 as 1 and, like Lotus 1-2-3, holds 1900 to be a
  // leap year: serial 60 is a 1900-02-29 that never was, and every later serial is one more
  // than the days since 1899-12-31.
  constexpr int64_t kLast = 2958465;  // 9999-12-31
  if (serial < 1 || serial == 60 || serial > kLast) return std::nullopt;
  const Day base = DayFromCivil(1899, 12, 31);
  return static_cast<Day>(base + serial - (serial > 60 ? 1 : 0));
}

Result<Validity> ParseValidity(std::string_view text, Day decided_on) {
  const std::string s = NormalizeFormText(text);
  if (IsOpenEnded(s)) return Validity{decided_on, kForever};

  if (auto months = ParseDurationMonths(s)) {
    if (decided_on == kNoDay)
      return Status::Invalid(
          "valid_until",
          "the duration " + Quoted(s) + " counts from 认定日期 (decided_on), which is empty");
    return Validity{decided_on, AddMonths(decided_on, *months)};
  }

  for (std::string_view sep :
       {std::string_view("至"), std::string_view("到"), std::string_view("~")}) {
    if (const size_t at = s.find(sep); at != std::string::npos)
      return ParseRange(s, std::string_view(s).substr(0, at),
                        std::string_view(s).substr(at + sep.size()), decided_on);
  }
  // start-end, where '-' (or "--", " - ") splits two dates that may contain '-' themselves.
  for (size_t at = s.find('-'); at != std::string::npos; at = s.find('-', at + 1)) {
    size_t after = at;
    while (after < s.size() && s[after] == '-') ++after;
    const std::string_view left = Trim(std::string_view(s).substr(0, at));
    const std::string_view right = Trim(std::string_view(s).substr(after));
    NotADate ignored;
    if (ParseDateText(left, &ignored) && ParseDateText(right, &ignored))
      return ParseRange(s, left, right, decided_on);
    at = after - 1;
  }

  // An end date: the last day in force.
  NotADate why;
  const auto end = ParseDateText(s, &why);
  if (!end) {
    if (why.kind != NotADate::kShape)
      return Status::Invalid("valid_until", DateMessage(Quoted(s), why));
    return Status::Invalid("valid_until",
                           Quoted(s) +
                               " is not an end date, a range (2025-03-01至2028-02-28), a duration "
                               "(3年, 6个月) or 长期; dates are written as " +
                               std::string(kDateForms));
  }
  if (decided_on != kNoDay && *end < decided_on)
    return Status::Invalid("valid_until", "the end date " + FormatDate(*end) +
                                              " is before 认定日期 (" + FormatDate(decided_on) +
                                              ")");
  return Validity{decided_on, *end + 1};
}

}  // namespace credlist
