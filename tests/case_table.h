// Tables of test cases in tests/cases/ (STYLE.md "Tests as data").
//
// A table is a UTF-8 text file with one case a line and its columns separated by tabs; blank
// lines and lines starting with '#' are skipped. Inside a cell, \s is a space, \t a tab, \n a
// newline, \\ a backslash and \uXXXX the UTF-8 form of that code point, so that invisible input
// (a leading space, U+3000) stays visible in the file. A test reads its table with ReadCases
// and names the row in every failure with CaseRow::Where().
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace credlist::testing {

struct CaseRow {
  std::string file;
  int line = 0;
  std::vector<std::string> cells;

  std::string Where() const { return file + ":" + std::to_string(line); }
  // The cell at `i`, or "" past the last column (trailing empty cells may be left out).
  const std::string& operator[](size_t i) const {
    static const std::string kEmpty;
    return i < cells.size() ? cells[i] : kEmpty;
  }
};

inline void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | cp >> 6));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | cp >> 12));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    if (c == 's') {
      out.push_back(' ');
    } else if (c == 't') {
      out.push_back('\t');
    } else if (c == 'n') {
      out.push_back('\n');
    } else if (c == 'u' && i + 4 < s.size()) {
      AppendUtf8(static_cast<char32_t>(std::stoul(std::string(s.substr(i + 1, 4)), nullptr, 16)),
                 &out);
      i += 4;
    } else {
      out.push_back(c);  // "\\" and anything else: the character itself
    }
  }
  return out;
}

// The rows of tests/cases/<name>. A missing or empty table fails the calling test.
inline std::vector<CaseRow> ReadCases(std::string_view name) {
  const std::string path = std::string(CREDLIST_SOURCE_DIR) + "/tests/cases/" + std::string(name);
  std::ifstream in(path);
  std::vector<CaseRow> rows;
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return rows;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    CaseRow row{std::string(name), n, {}};
    size_t start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      row.cells.push_back(Unescape(std::string_view(line).substr(
          start, tab == std::string::npos ? std::string::npos : tab - start)));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) ADD_FAILURE() << path << " has no cases";
  return rows;
}

}  // namespace credlist::testing
