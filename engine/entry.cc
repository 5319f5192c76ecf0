#include "engine/entry.h"

#include <array>

namespace credlist {
namespace {

constexpr std::array<std::string_view, 3> kListNames = {"red", "black", "watch"};
constexpr std::array<std::string_view, 3> kSubjectNames = {"legal_person", "natural_person",
                                                           "other_org"};
constexpr std::array<std::string_view, 7> kStateNames = {
    "submitted", "rejected", "publicity", "under_review", "in_force", "cancelled", "exited"};
constexpr std::array<std::string_view, 9> kExitNames = {"",
                                                        "objection_upheld",
                                                        "expired",
                                                        "standard_changed",
                                                        "listed_black_or_watch",
                                                        "improper_use",
                                                        "repaired",
                                                        "law_specific",
                                                        "escalated_to_black"};

template <typename E, size_t N>
std::optional<E> Find(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (!names[i].empty() && names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

// Memorandum ranges: P01..P43 at 0, R01..R05 at 43, J01..J03 at 48.
struct Range {
  char prefix;
  int base;
  int count;
};
constexpr Range kRanges[] = {{'P', 0, 43}, {'R', 43, 5}, {'J', 48, 3}};

}  // namespace

std::string_view ListKindName(ListKind v) { return kListNames[static_cast<int>(v)]; }
std::string_view SubjectTypeName(SubjectType v) { return kSubjectNames[static_cast<int>(v)]; }
std::string_view StateName(State v) { return kStateNames[static_cast<int>(v)]; }
std::string_view ExitReasonName(ExitReason v) { return kExitNames[static_cast<int>(v)]; }
std::optional<ListKind> ParseListKind(std::string_view s) { return Find<ListKind>(kListNames, s); }
std::optional<SubjectType> ParseSubjectType(std::string_view s) {
  return Find<SubjectType>(kSubjectNames, s);
}
std::optional<State> ParseState(std::string_view s) { return Find<State>(kStateNames, s); }
std::optional<ExitReason> ParseExitReason(std::string_view s) {
  return Find<ExitReason>(kExitNames, s);
}

std::optional<int> ParseMemorandumId(std::string_view id) {
  if (id.size() != 3 || id[1] < '0' || id[1] > '9' || id[2] < '0' || id[2] > '9')
    return std::nullopt;
  const int n = (id[1] - '0') * 10 + (id[2] - '0');
  for (const Range& r : kRanges)
    if (id[0] == r.prefix && n >= 1 && n <= r.count) return r.base + n - 1;
  return std::nullopt;
}

std::string MemorandumId(int index) {
  for (const Range& r : kRanges) {
    if (index >= r.base && index < r.base + r.count) {
      const int n = index - r.base + 1;
      return std::string{r.prefix, static_cast<char>('0' + n / 10),
                         static_cast<char>('0' + n % 10)};
    }
  }
  return "";
}

}  // namespace credlist
