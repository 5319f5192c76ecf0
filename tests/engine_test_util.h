// Helpers for the engine tests: identifiers by text, generated identifiers, and entries with
// the fields a test cares about.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/ids.h"

namespace credlist::testing {

inline Key UsccKey(std::string_view s) {
  auto k = ParseUscc(s);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : Key{};
}
inline Key IdKey(std::string_view s) {
  auto k = ParseIdNumber(s);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : Key{};
}
inline Key RegKey(std::string_view s) {
  auto k = ParseRegNo(s);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : Key{};
}

inline Day D(std::string_view iso) {
  auto d = ParseIsoDate(iso);
  EXPECT_TRUE(d.has_value()) << iso;
  return d.value_or(kNoDay);
}

// The i-th of many distinct valid identifiers (0 <= i < 10^7).
inline std::string NthUscc(int i) {
  char s[32];
  std::snprintf(s, sizeof s, "91210802%08d", i);
  std::string out(s);
  out += OrgCodeCheckChar(std::string_view(out).substr(8, 8));
  out += UsccCheckChar(out);
  return out;
}
inline std::string NthIdNumber(int i) {
  const CivilDate birth = CivilFromDay(DayFromCivil(1950, 1, 1) + i / 1000);
  char s[32];
  std::snprintf(s, sizeof s, "210802%04d%02d%02d%03d", birth.year, birth.month, birth.day,
                i % 1000);
  return std::string(s) + IdNumberCheckChar(s);
}
inline std::string NthRegNo(int i) {
  char s[32];
  std::snprintf(s, sizeof s, "2108%010d", i);
  return std::string(s) + RegNoCheckDigit(s);
}

// An in-force entry valid from 2025-03-01 with no end, and no identifiers yet.
inline Entry TestEntry(std::string entry_id, ListKind list) {
  Entry e;
  e.entry_id = std::move(entry_id);
  e.list = list;
  e.category = list == ListKind::kRed ? "纳税信用A级纳税人" : "失信被执行人";
  e.name = "营口某某贸易有限公司";
  e.department = "营口市中级人民法院";
  e.decided_on = D("2025-03-01");
  e.valid_from = e.decided_on;
  e.valid_until = kForever;
  e.state = State::kInForce;
  return e;
}

}  // namespace credlist::testing
