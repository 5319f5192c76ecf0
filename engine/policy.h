// Policy: the scenarios in which a check is made, the memoranda catalogue of 附件 3, the
// departments of 附件 2 and the measures (措施) that a listed subject calls for in each scenario
// (DESIGN.md §5, seed 四).
//
// A Policy is built from three UTF-8 TSV files (data/memoranda.tsv, data/departments.tsv,
// data/measures.tsv; docs/formats.md "Policy files") and is immutable once built: share it
// between threads freely. A bad file is a PolicyError naming the file, the line, the column and
// the reason, and no Policy. PolicyCatalog publishes the current Policy atomically so that a
// credit office can replace the measures while the server runs; readers hold the Policy they
// took for the length of a request.
//
// The hot path is Policy::AppendForSubject: the measure table is precomputed per scenario, per
// kind and per memorandum, so applying a policy to a check is a walk over the set bits of the
// subject's memoranda mask with no allocation beyond the caller's vector.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

// The scenarios of seed 四(一): 行政许可, 行政处罚, 行政检查, 财政资金支持, 金融机构融资授信,
// 国家工作人员招录, 政府采购, 政府投资项目招标, 表彰奖励, and 公共服务 (四(三)).
inline constexpr std::array<std::string_view, 10> kScenarios = {
    "licensing", "penalty",     "inspection", "fiscal_funds", "financing",
    "hiring",    "procurement", "bidding",    "commendation", "public_service"};
inline constexpr int kScenarioCount = static_cast<int>(kScenarios.size());

inline bool IsScenario(std::string_view s) {
  for (std::string_view k : kScenarios)
    if (k == s) return true;
  return false;
}
// "procurement" -> 6; nullopt for an unknown name.
std::optional<int> ScenarioIndex(std::string_view s);

enum class MemorandumKind : uint8_t {
  kPunish = 0,  // 联合惩戒备忘录, ids P01..P43
  kReward = 1,  // 联合激励备忘录, R01..R05
  kJoint = 2,   // 联合奖惩备忘录, J01..J03
};
std::string_view MemorandumKindName(MemorandumKind k);  // "punish", "reward", "joint"

enum class MeasureKind : uint8_t {
  kReward = 0,  // 激励: for red entries
  kPunish = 1,  // 惩戒: for black entries
  kWatch = 2,   // 约谈警示, 审慎办理, 约束限制: for watch entries
};
inline constexpr int kMeasureKinds = 3;
std::string_view MeasureKindName(MeasureKind k);  // "reward", "punish", "watch"
std::optional<MeasureKind> ParseMeasureKind(std::string_view s);
// The kind of measure a list calls for: red → reward, black → punish, watch → watch.
inline MeasureKind MeasureKindFor(ListKind list) {
  return list == ListKind::kRed     ? MeasureKind::kReward
         : list == ListKind::kBlack ? MeasureKind::kPunish
                                    : MeasureKind::kWatch;
}

struct Memorandum {
  int index = 0;   // bit of Entry::memoranda (ParseMemorandumId)
  std::string id;  // P01..P43, R01..R05, J01..J03
  MemorandumKind kind = MemorandumKind::kPunish;
  int number = 0;  // 序号 in its table of 附件 3
  std::string title;
  std::string doc_no;  // 文号, as printed in the seed
};

// One duty of 附件 2 (各相关部门职责清单).
struct Duty {
  int number = 0;
  std::vector<std::string> departments;  // the departments the duty names
  uint64_t memoranda = 0;                // those whose joint measures it leads (牵头落实)
  std::string text;                      // the duty as printed
};

inline constexpr int kGeneralMeasure = -1;  // Measure::memorandum of the seed's own 四(三)

struct Measure {
  std::string id;                    // unique, e.g. P06-03, G-W02
  int memorandum = kGeneralMeasure;  // index of its memorandum, or kGeneralMeasure
  MeasureKind kind = MeasureKind::kPunish;
  uint16_t scenarios = 0;  // bit s: kScenarios[s]
  std::string text;
  bool AppliesIn(int scenario) const { return (scenarios >> scenario) & 1u; }
};

// Where a policy file is wrong. line is the physical line, 1-based (0: the file as a whole);
// field is the column ("" when the line as a whole is wrong).
struct PolicyError {
  std::string file;  // base name: memoranda.tsv, departments.tsv, measures.tsv
  int line = 0;
  std::string field;
  std::string reason;
  // InvalidArgument (kIoError when a file cannot be read), field as above, reason
  // "FILE line N: REASON".
  Status ToStatus() const;
  // "FILE line N: FIELD: REASON" (without the parts that are empty or 0).
  std::string ToString() const;
  bool io = false;  // the file could not be read
};

inline constexpr char kMemorandaFile[] = "memoranda.tsv";
inline constexpr char kDepartmentsFile[] = "departments.tsv";
inline constexpr char kMeasuresFile[] = "measures.tsv";

// The lists a subject's counting entries are on, with the union of their memoranda per list.
struct SubjectLists {
  std::array<bool, kListKinds> present{};
  std::array<uint64_t, kListKinds> memoranda{};
  void Add(ListKind list, uint64_t mask) {
    present[static_cast<int>(list)] = true;
    memoranda[static_cast<int>(list)] |= mask;
  }
};

class Policy {
 public:
  // From the three files' contents. On failure: null, and *error says where.
  static std::shared_ptr<const Policy> Parse(std::string_view memoranda,
                                             std::string_view departments,
                                             std::string_view measures, PolicyError* error);
  // From DIR/memoranda.tsv, DIR/departments.tsv and `measures_path` (default
  // DIR/measures.tsv).
  static std::shared_ptr<const Policy> Load(const std::string& dir, PolicyError* error,
                                            const std::string& measures_path = "");
  // This policy's memoranda and departments with the measures of `measures` (a whole
  // measures.tsv). On failure: null, and *error says where; this policy is unchanged.
  std::shared_ptr<const Policy> WithMeasures(std::string_view measures, PolicyError* error) const;

  // In the seed's order: memoranda()[i].index == i, i < kMemoranda.
  const std::vector<Memorandum>& memoranda() const { return memoranda_; }
  const Memorandum* FindMemorandum(std::string_view id) const;
  const std::vector<Duty>& duties() const { return duties_; }
  // The departments named by the duties, each once, in order of first mention.
  const std::vector<std::string>& departments() const { return departments_; }
  // The departments whose duties lead memorandum `index`.
  std::vector<std::string_view> LeadsOf(int index) const;

  const std::vector<Measure>& measures() const { return measures_; }
  const Measure* FindMeasure(std::string_view id) const;
  // Measures that apply in `scenario` (every measure when scenario < 0), in file order.
  std::vector<const Measure*> MeasuresIn(int scenario) const;
  // Counts per kind of memorandum.
  int CountMemoranda(MemorandumKind kind) const;

  // Appends to *out the indices into measures() of the measures one entry of `list` with
  // memoranda `mask` calls for in `scenario`: its memoranda's measures of the list's kind, then
  // the general measures of that kind. No duplicates within one call.
  void AppendForEntry(int scenario, ListKind list, uint64_t mask, std::vector<uint16_t>* out) const;
  // The same for a subject, from its counting entries summarised by list: the measures of each
  // list it is on, each measure once. Reward measures are left out while a black or watch
  // entry counts too: such a subject leaves the red list (seed 五(一)2) and must not be
  // rewarded meanwhile.
  void AppendForSubject(int scenario, const SubjectLists& lists, std::vector<uint16_t>* out) const;
  // The same measures as AppendForSubject, as the comma-separated JSON objects of a check
  // result's "measures" ({"measure_id","memorandum","kind","text"}; memorandum null for a
  // general measure), appended to *out with no leading or trailing comma. Pre-encoded per scenario,
  // kind and memorandum: a check pays a few appends for its measures.
  void AppendSubjectJson(int scenario, const SubjectLists& lists, std::string* out) const;

 private:
  struct Range {
    uint16_t begin = 0, end = 0;
  };
  static constexpr int kSlots = kMemoranda + 1;  // memoranda, then the general measures
  void BuildTable();

  std::vector<Memorandum> memoranda_;
  std::vector<Duty> duties_;
  std::vector<std::string> departments_;
  std::vector<Measure> measures_;
  // table_[scenario][kind][slot]: a range of flat_, the indices of the measures that apply.
  std::array<std::array<std::array<Range, kSlots>, kMeasureKinds>, kScenarioCount> table_{};
  // Per scenario and kind, the slots with measures (bit i: memorandum i): skips the rest.
  std::array<std::array<uint64_t, kMeasureKinds>, kScenarioCount> has_{};
  std::vector<uint16_t> flat_;
  // json_[(scenario * kMeasureKinds + kind) * kSlots + slot]: the JSON of that range's measures.
  std::vector<std::string> json_;
};

// The current Policy, published atomically (like Catalog for snapshots). Thread-safe.
class PolicyCatalog {
 public:
  void Publish(std::shared_ptr<const Policy> policy);
  std::shared_ptr<const Policy> Current() const;  // null before the first Publish
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Policy> current_;
  std::atomic<uint64_t> generation_{0};
};

// One reader thread's view of a PolicyCatalog: one atomic load per Get() unless a new policy
// was published. Not thread-safe: one per thread.
class PolicyHandle {
 public:
  const Policy* Get(const PolicyCatalog& catalog) {
    const uint64_t g = catalog.generation();
    if (&catalog != catalog_ || g != seen_) {
      held_ = catalog.Current();
      catalog_ = &catalog;
      seen_ = g;
    }
    return held_.get();
  }

 private:
  const PolicyCatalog* catalog_ = nullptr;
  std::shared_ptr<const Policy> held_;
  uint64_t seen_ = ~uint64_t{0};
};

}  // namespace credlist
