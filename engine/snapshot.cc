#include "engine/snapshot.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>

namespace credlist {
namespace {

constexpr uint64_t kIdNumberBits = static_cast<uint64_t>(KeyType::kIdNumber) << 60;
constexpr uint64_t kRegNoBits = static_cast<uint64_t>(KeyType::kRegNo) << 60;
constexpr uint32_t kRelatedBit = 1u << 31;

Key IdKey(uint64_t lo) { return Key{kIdNumberBits, lo}; }
Key RegKey(uint64_t lo) { return Key{kRegNoBits, lo}; }

}  // namespace

uint32_t StringArena::Add(std::string_view s) {
  if (s.empty()) return 0;
  const auto offset = static_cast<uint32_t>(bytes_.size());
  size_t n = s.size();
  while (n >= 0x80) {
    bytes_.push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  bytes_.push_back(static_cast<char>(n));
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  return offset;
}

std::string_view StringArena::Get(uint32_t offset) const {
  const char* p = bytes_.data() + offset;
  size_t n = 0;
  int shift = 0;
  for (;;) {
    const auto b = static_cast<uint8_t>(*p++);
    n |= static_cast<size_t>(b & 0x7F) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return {p, n};
}

size_t Snapshot::EntryIdHash::operator()(std::string_view id) const {
  return static_cast<size_t>(XXH3_64bits(id.data(), id.size()));
}

Entry Snapshot::ToEntry(uint32_t i) const {
  const EntryRecord& r = records_[i];
  Entry e;
  e.entry_id = str(r.entry_id);
  e.list = r.list;
  e.category = str(r.category);
  e.subject_type = r.subject_type;
  e.name = str(r.name);
  e.uscc = r.uscc;
  if (r.reg_no) e.reg_no = RegKey(r.reg_no);
  if (r.id_number) e.id_number = IdKey(r.id_number);
  e.id_type = str(r.id_type);
  e.legal_rep = str(r.legal_rep);
  if (r.legal_rep_id) e.legal_rep_id = IdKey(r.legal_rep_id);
  e.conduct = str(r.conduct);
  e.outcome = str(r.outcome);
  e.department = str(r.department);
  e.basis = str(r.basis);
  e.decided_on = r.decided_on;
  e.valid_from = r.valid_from;
  e.valid_until = r.valid_until;
  e.memoranda = r.memoranda;
  e.state = r.state;
  e.exit_reason = r.exit_reason;
  e.in_force_on = r.in_force_on;
  e.exited_on = r.exited_on;
  return e;
}

int64_t Snapshot::FindEntry(std::string_view entry_id) const {
  auto it = entry_index_.find(entry_id);
  return it == entry_index_.end() ? -1 : static_cast<int64_t>(*it);
}

Hits Snapshot::Find(const Key& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return {};
  const PostingRun& run = it->second;
  const uint32_t* p = postings_.data() + run.offset;
  return {{p, run.subject}, {p + run.subject, run.related}};
}

void Snapshot::FindBatch(const Key* keys, size_t n, Hits* out) const {
  // The probes are independent of each other, so the out-of-order core overlaps their cache
  // misses; nothing here waits on the result of an earlier probe.
  for (size_t i = 0; i < n; ++i) out[i] = Find(keys[i]);
}

size_t Snapshot::MemoryBytes() const {
  size_t bytes = records_.capacity() * sizeof(EntryRecord) + arena_.bytes() +
                 postings_.capacity() * sizeof(uint32_t) +
                 keys_.bucket_count() * (sizeof(std::pair<Key, PostingRun>) + 1) +
                 entry_index_.bucket_count() * (sizeof(uint32_t) + 1);
  for (const Roaring& r : lists_) bytes += r.getSizeInBytes();
  return bytes;
}

SnapshotBuilder::SnapshotBuilder() : snap_(std::make_unique<Snapshot>()) {}

SnapshotBuilder::SnapshotBuilder(const Snapshot& base) : SnapshotBuilder() {
  snap_->records_.reserve(base.size());
  for (uint32_t i = 0; i < base.size(); ++i) Add(base.ToEntry(i));
}

size_t SnapshotBuilder::size() const { return snap_->records_.size(); }

uint32_t SnapshotBuilder::Intern(std::string_view s) {
  if (s.empty()) return 0;
  const uint64_t h = XXH3_64bits(s.data(), s.size());
  std::vector<uint32_t>& offsets = interned_[h];
  for (uint32_t off : offsets)
    if (snap_->arena_.Get(off) == s) return off;
  const uint32_t off = snap_->arena_.Add(s);
  offsets.push_back(off);
  return off;
}

void SnapshotBuilder::Add(const Entry& e) {
  EntryRecord r{};
  r.entry_id = snap_->arena_.Add(e.entry_id);
  r.name =
      e.subject_type == SubjectType::kNaturalPerson ? Intern(e.name) : snap_->arena_.Add(e.name);
  r.category = Intern(e.category);
  r.legal_rep = Intern(e.legal_rep);
  r.conduct = Intern(e.conduct);
  r.outcome = Intern(e.outcome);
  r.department = Intern(e.department);
  r.basis = Intern(e.basis);
  r.id_type = Intern(e.id_type);
  r.uscc = e.uscc;
  r.reg_no = e.reg_no.lo;
  r.id_number = e.id_number.lo;
  r.legal_rep_id = e.legal_rep_id.lo;
  r.decided_on = e.decided_on;
  r.valid_from = e.valid_from;
  r.valid_until = e.valid_until;
  r.in_force_on = e.in_force_on;
  r.exited_on = e.exited_on;
  r.memoranda = e.memoranda;
  r.list = e.list;
  r.subject_type = e.subject_type;
  r.state = e.state;
  r.exit_reason = e.exit_reason;

  auto& records = snap_->records_;
  auto it = snap_->entry_index_.find(std::string_view(e.entry_id));
  if (it != snap_->entry_index_.end()) {
    records[*it] = r;  // a known entry_id: the new version replaces the old
    return;
  }
  records.push_back(r);
  snap_->entry_index_.insert(static_cast<uint32_t>(records.size() - 1));
}

std::shared_ptr<const Snapshot> SnapshotBuilder::Build(Day today) {
  static std::atomic<uint64_t> versions{0};
  Snapshot& s = *snap_;
  const auto n = static_cast<uint32_t>(s.records_.size());

  // (key, posting) pairs; sorting them groups each key's postings, the subject's own
  // entries (related bit clear) first.
  struct Pair {
    Key key;
    uint32_t posting;
  };
  std::vector<Pair> pairs;
  pairs.reserve(static_cast<size_t>(n) * 2);
  for (uint32_t i = 0; i < n; ++i) {
    const EntryRecord& r = s.records_[i];
    if (!r.uscc.empty()) pairs.push_back({r.uscc, i});
    if (r.reg_no) pairs.push_back({RegKey(r.reg_no), i});
    if (r.id_number) pairs.push_back({IdKey(r.id_number), i});
    if (r.legal_rep_id && r.legal_rep_id != r.id_number)
      pairs.push_back({IdKey(r.legal_rep_id), i | kRelatedBit});
    s.lists_[static_cast<int>(r.list)].add(i);
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.key.hi != b.key.hi) return a.key.hi < b.key.hi;
    if (a.key.lo != b.key.lo) return a.key.lo < b.key.lo;
    return a.posting < b.posting;
  });

  s.postings_.clear();
  s.postings_.reserve(pairs.size());
  s.keys_.clear();
  s.keys_.reserve(pairs.size());
  s.conflicts_ = 0;
  for (size_t i = 0; i < pairs.size();) {
    size_t j = i;
    PostingRun run{static_cast<uint32_t>(s.postings_.size()), 0, 0};
    bool red = false, black = false;
    // The USCC and the ID number shared by every counting red or black entry of this key
    // (empty / 0 when they differ or are absent).
    bool first_counting = true;
    Key shared_uscc;
    uint64_t shared_id = 0;
    for (; j < pairs.size() && pairs[j].key == pairs[i].key; ++j) {
      const uint32_t p = pairs[j].posting;
      if (run.subject + run.related == UINT16_MAX) continue;  // see PostingRun
      if (p & kRelatedBit) {
        ++run.related;
        s.postings_.push_back(p & ~kRelatedBit);
        continue;
      }
      ++run.subject;
      s.postings_.push_back(p);
      const EntryRecord& r = s.records_[p];
      if (r.list != ListKind::kWatch &&
          CountsOn(r.state, r.in_force_on, r.exited_on, r.valid_from, r.valid_until, today)) {
        red |= r.list == ListKind::kRed;
        black |= r.list == ListKind::kBlack;
        if (first_counting) {
          shared_uscc = r.uscc;
          shared_id = r.id_number;
          first_counting = false;
        } else {
          if (!(r.uscc == shared_uscc)) shared_uscc = Key{};
          if (r.id_number != shared_id) shared_id = 0;
        }
      }
    }
    // A subject's identifiers all name it; count a conflict once, at the strongest key that
    // holds all its counting entries (USCC, then ID number, then 工商注册号): a key whose
    // counting entries all share one USCC (or, for a 工商注册号, one ID number) leaves the
    // count to that key, which sees the same red and black entries. A subject known only by
    // its 工商注册号 is counted there.
    const KeyType type = pairs[i].key.type();
    const bool counted_at_uscc = type != KeyType::kUscc && !shared_uscc.empty();
    const bool counted_at_id = type == KeyType::kRegNo && shared_id != 0;
    if (red && black && !counted_at_uscc && !counted_at_id) ++s.conflicts_;
    s.keys_.emplace(pairs[i].key, run);
    i = j;
  }
  for (Roaring& r : s.lists_) r.runOptimize();
  s.arena_.ShrinkToFit();
  s.records_.shrink_to_fit();
  s.version_ = ++versions;
  interned_.clear();
  return std::shared_ptr<const Snapshot>(snap_.release());
}

}  // namespace credlist
