// Masking of natural persons' data (engine/masking.h) against the hand-worked table
// tests/cases/masking.tsv: lengths around the 10-character boundary of a certificate number,
// names of one, two and three characters, multi-byte characters.
#include "engine/masking.h"

#include <gtest/gtest.h>

#include "tests/case_table.h"

namespace credlist {
namespace {

using testing::CaseRow;
using testing::ReadCases;

TEST(Masking, TableOfNamesAndNumbers) {
  int numbers = 0, names = 0;
  for (const CaseRow& row : ReadCases("masking.tsv")) {
    std::string out = "prefix:";  // appended to, never replaced
    if (row[0] == "number") {
      AppendMaskedNumber(row[1], &out);
      ++numbers;
    } else if (row[0] == "name") {
      AppendMaskedName(row[1], &out);
      ++names;
    } else {
      ADD_FAILURE() << row.Where() << ": kind '" << row[0] << "'";
      continue;
    }
    EXPECT_EQ(out, "prefix:" + row[2]) << row.Where();
  }
  EXPECT_GE(numbers, 10);
  EXPECT_GE(names, 10);
}

// No number of 10 characters or fewer shows any of its characters: masked, it would be whole.
TEST(Masking, ShortNumbersShowNothing) {
  for (size_t n = 0; n <= 10; ++n) {
    const std::string number = std::string("2108021980").substr(0, n);
    std::string out;
    AppendMaskedNumber(number, &out);
    EXPECT_EQ(out, std::string(n, '*')) << n;
  }
}

}  // namespace
}  // namespace credlist
