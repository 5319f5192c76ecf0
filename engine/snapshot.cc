#include "engine/snapshot.h"

// XXH3 inlined: hashing a 16-byte key is then a few instructions, not a call. AVX2 for long
// inputs (GCC 12 warns falsely inside its own AVX-512 intrinsics otherwise).
#define XXH_INLINE_ALL
#if defined(__AVX2__)
#define XXH_VECTOR XXH_AVX2
#endif
#include <immintrin.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cmath>

namespace credlist {
namespace {

using snapshot_internal::HashedKey;
using snapshot_internal::KeyMapHint;
using snapshot_internal::KeyMapValue;
using snapshot_internal::PackedKey;
using snapshot_internal::PackedKeyHash;
using snapshot_internal::RunShape;

constexpr uint64_t kIdNumberBits = static_cast<uint64_t>(KeyType::kIdNumber) << 60;
constexpr uint64_t kRegNoBits = static_cast<uint64_t>(KeyType::kRegNo) << 60;
constexpr uint32_t kRelatedBit = 1u << 31;

Key IdKey(uint64_t lo) { return lo ? Key{kIdNumberBits, lo} : Key{}; }
Key RegKey(uint64_t lo) { return lo ? Key{kRegNoBits, lo} : Key{}; }

// Packs an entry's identifier; one that no parser makes (a caller's bug: asserted) is dropped,
// as if absent, rather than kept as some other key.
bool PackIdentifier(const Key& key, PackedKey* out) {
  const bool ok = snapshot_internal::Pack(key, out);
  assert(ok && "identifiers must be as ParseUscc, ParseIdNumber and ParseRegNo make them");
  return ok;
}

uint64_t Lo(const PackedKey& k) { return static_cast<uint64_t>(k.lo_high) << 32 | k.lo_low; }

// 16-bit days (EntryRecord::days_).
uint16_t EncodeDay(Day d, bool* wide) {
  if (d == kNoDay) return 0;
  if (d == kForever) return 0xFFFF;
  if (d < 0 || d > 0xFFFD) {  // EntryRecord::kMaxDay16
    *wide = true;
    return 0;
  }
  return static_cast<uint16_t>(d + 1);
}

Day DecodeDay(uint16_t v) { return v == 0 ? kNoDay : v == 0xFFFF ? kForever : Day{v} - 1; }

// boost 1.81's reduced hash: the low byte, with 0 and 1 (free, sentinel) moved to 8 and 9.
uint8_t ReducedHash(uint64_t hash) {
  const auto b = static_cast<uint8_t>(hash);
  return b < 2 ? b + 8 : b;
}

// The shape of a key's run (RunShape): an index into kRunShapes, else kCountedShape.
uint32_t ShapeOf(uint32_t subject, uint32_t related) {
  const auto& shapes = snapshot_internal::kRunShapes;
  for (uint32_t i = 0; i < std::size(shapes); ++i)
    if (shapes[i].subject == subject && shapes[i].related == related) return i;
  return snapshot_internal::kCountedShape;
}

}  // namespace

namespace snapshot_internal {

bool Pack(const Key& key, PackedKey* out) {
  const uint64_t type = key.hi >> 60;
  const uint64_t high = key.hi & ((uint64_t{1} << 60) - 1);
  if (type > 3 || (high >> 30) != 0 || (key.lo >> 60) != 0) return false;
  out->lo_low = static_cast<uint32_t>(key.lo);
  out->lo_high = static_cast<uint32_t>(key.lo >> 32);
  out->top = static_cast<uint32_t>(type << 30 | high);
  return true;
}

Key Unpack(const PackedKey& key) {
  const uint64_t lo = static_cast<uint64_t>(key.lo_high & kLoHighMask) << 32 | key.lo_low;
  return Key{static_cast<uint64_t>(key.top >> 30) << 60 | (key.top & 0x3FFFFFFFu), lo};
}

size_t PackedKeyHash::operator()(const PackedKey& k) const noexcept { return HashKey(Unpack(k)); }

uint64_t HashKey(const Key& key) {
  static_assert(sizeof(Key) == 16);
  return XXH3_64bits(&key, sizeof key);
}

}  // namespace snapshot_internal

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

Key EntryRecord::uscc() const {
  return snapshot_internal::Unpack(
      PackedKey{static_cast<uint32_t>(uscc_lo_), static_cast<uint32_t>(uscc_lo_ >> 32), uscc_top_});
}
Key EntryRecord::reg_no() const { return RegKey(reg_no_); }
Key EntryRecord::id_number() const { return IdKey(id_number_); }
Key EntryRecord::legal_rep_id() const { return IdKey(legal_rep_id_); }

Snapshot::Snapshot()
    : keys_{KeyMap(size_t{0}, snapshot_internal::PackedKeyHash{}, snapshot_internal::PackedKeyEq{},
                   HugePageAllocator<KeyMapValue>(&key_storage_[0])),
            KeyMap(size_t{0}, snapshot_internal::PackedKeyHash{}, snapshot_internal::PackedKeyEq{},
                   HugePageAllocator<KeyMapValue>(&key_storage_[1]))} {}

size_t Snapshot::EntryIdHash::operator()(std::string_view id) const {
  return static_cast<size_t>(XXH3_64bits(id.data(), id.size()));
}

EntryDates Snapshot::dates(uint32_t i) const {
  const EntryRecord& r = records_[i];
  if (r.flags_ & EntryRecord::kWideDates) return wide_dates_.find(i)->second;
  return {DecodeDay(r.days_[EntryRecord::kDecidedOn]), DecodeDay(r.days_[EntryRecord::kValidFrom]),
          DecodeDay(r.days_[EntryRecord::kValidUntil]), DecodeDay(r.days_[EntryRecord::kInForceOn]),
          DecodeDay(r.days_[EntryRecord::kExitedOn])};
}

bool Snapshot::CountsWide(uint32_t i, Day day) const {
  const EntryDates d = dates(i);
  return CountsOn(records_[i].state(), d.in_force_on, d.exited_on, d.valid_from, d.valid_until,
                  day);
}

Entry Snapshot::ToEntry(uint32_t i) const {
  const EntryRecord& r = records_[i];
  const EntryProfile& p = profile(r);
  const EntryDates d = dates(i);
  Entry e;
  e.entry_id = str(r.entry_id());
  e.list = r.list();
  e.category = str(p.category);
  e.subject_type = r.subject_type();
  e.name = str(r.name());
  e.uscc = r.uscc();
  e.reg_no = r.reg_no();
  e.id_number = r.id_number();
  e.id_type = str(p.id_type);
  e.legal_rep = str(r.legal_rep());
  e.legal_rep_id = r.legal_rep_id();
  e.conduct = str(p.conduct);
  e.outcome = str(p.outcome);
  e.department = str(p.department);
  e.basis = str(p.basis);
  e.decided_on = d.decided_on;
  e.valid_from = d.valid_from;
  e.valid_until = d.valid_until;
  e.memoranda = p.memoranda;
  e.state = r.state();
  e.exit_reason = r.exit_reason();
  e.in_force_on = d.in_force_on;
  e.exited_on = d.exited_on;
  return e;
}

int64_t Snapshot::FindEntry(std::string_view entry_id) const {
  auto it = entry_index_.find(entry_id);
  return it == entry_index_.end() ? -1 : static_cast<int64_t>(*it);
}

Hits Snapshot::HitsOf(const KeyMapValue& slot) const {
  using snapshot_internal::kCountedShape;
  const uint32_t shape = slot.first.lo_high >> snapshot_internal::kShapeShift;
  if (shape == kCountedShape) [[unlikely]] {
    const uint32_t* p = postings_.data() + slot.second;
    const uint32_t subject = p[0] >> 16, related = p[0] & 0xFFFF;
    return {{p + 1, subject}, {p + 1 + subject, related}};
  }
  const RunShape counts = snapshot_internal::kRunShapes[shape];
  // A single posting is the slot's own value: the map never changes, so its address lasts.
  // Chosen without a branch: whether a key has one posting is a coin toss, and a mispredicted
  // branch that waits on the map's cache miss would hold back the lookups after it.
  const auto inline_at = reinterpret_cast<uintptr_t>(&slot.second);
  const uintptr_t shared_at =
      reinterpret_cast<uintptr_t>(postings_.data()) + uintptr_t{slot.second} * sizeof(uint32_t);
  const uintptr_t single = uintptr_t{0} - (shape < 2);
  const auto* p = reinterpret_cast<const uint32_t*>((inline_at & single) | (shared_at & ~single));
  return {{p, counts.subject}, {p + counts.subject, counts.related}};
}

Hits Snapshot::FindHashed(const HashedKey& key) const {
  const KeyMap& map = keys_[MapOf(key.hash)];
  auto it = map.find(key);
  if (it == map.end()) return {};
  return HitsOf(*it);
}

Hits Snapshot::Find(const Key& key) const {
  HashedKey k;
  if (!snapshot_internal::Pack(key, &k.key)) return {};  // no parser makes it: not in the index
  k.hash = snapshot_internal::HashKey(key);
  return FindHashed(k);
}

void Snapshot::FindBatch(const Key* keys, size_t n, Hits* out) const {
  if (!batch_hints_) {
    for (size_t i = 0; i < n; ++i) out[i] = Find(keys[i]);
    return;
  }
  // A pipeline over the keys: key i + kGroupAhead is hashed and its group of the map
  // prefetched; key i + kSlotAhead has its group read (prefetched by now) for the slot its hash
  // matches, which is prefetched; key i is looked up, its lines in cache. The hints only
  // choose what to prefetch; the lookup is KeyMap::find.
  constexpr size_t kGroupAhead = 24, kSlotAhead = 12, kRing = 32;
  HashedKey ring[kRing];
  bool packed[kRing];
  auto hash_and_prefetch_group = [&](size_t j) {
    HashedKey& k = ring[j % kRing];
    packed[j % kRing] = snapshot_internal::Pack(keys[j], &k.key);
    k.hash = snapshot_internal::HashKey(keys[j]);
    const KeyMapHint& h = hints_[MapOf(k.hash)];
    __builtin_prefetch(h.groups + (k.hash >> h.shift) * 16);
  };
  auto prefetch_slot = [&](size_t j) {
    const HashedKey& k = ring[j % kRing];
    const KeyMapHint& h = hints_[MapOf(k.hash)];
    const size_t group = k.hash >> h.shift;
    const __m128i tags = _mm_load_si128(reinterpret_cast<const __m128i*>(h.groups + group * 16));
    const auto match = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(
                           tags, _mm_set1_epi8(static_cast<char>(ReducedHash(k.hash)))))) &
                       0x7FFF;
    if (match == 0) return;  // not there (or in a later group: rare)
    __builtin_prefetch(h.elements + (group * 15 + static_cast<size_t>(__builtin_ctz(match))) *
                                        sizeof(KeyMapValue));
  };
  for (size_t j = 0; j < std::min(n, kGroupAhead); ++j) hash_and_prefetch_group(j);
  for (size_t j = 0; j < std::min(n, kSlotAhead); ++j) prefetch_slot(j);
  for (size_t i = 0; i < n; ++i) {
    if (i + kGroupAhead < n) hash_and_prefetch_group(i + kGroupAhead);
    if (i + kSlotAhead < n) prefetch_slot(i + kSlotAhead);
    out[i] = packed[i % kRing] ? FindHashed(ring[i % kRing]) : Hits{};
  }
}

void Snapshot::SizeKeyMaps(size_t n) {
  // Groups of 15 slots; ~80% full (boost's limit is 87.5%), in one map of 2^a groups or, when
  // fewer slots do, two of 2^a and 2^b (b < a) with the keys split in proportion.
  constexpr size_t kGroup = 15;
  constexpr double kLoad = 0.8;
  const auto need = std::max<size_t>(
      2, static_cast<size_t>(std::ceil(static_cast<double>(n) / (kGroup * kLoad))));
  size_t g0 = std::bit_floor(need), g1 = 0;
  if (g0 < need) {
    const size_t rest = std::max<size_t>(2, std::bit_ceil(need - g0));
    if (rest >= g0 || need < 64)
      g0 *= 2;
    else
      g1 = rest;
  }
  route_limit_ = g1 == 0 ? uint64_t{1} << 32 : (uint64_t{1} << 32) * g0 / (g0 + g1);
  if (n == 0) return;
  // rehash(s) makes the smallest table of at least s slots: (g - 1) * 15 slots are g groups.
  keys_[0].rehash((g0 - 1) * kGroup);
  if (g1 != 0) keys_[1].rehash((g1 - 1) * kGroup);
}

void Snapshot::SetHints() {
  batch_hints_ = false;
  const size_t maps = route_limit_ >> 32 ? 1 : 2;
  for (size_t m = 0; m < maps; ++m) {
    const KeyMap& map = keys_[m];
    const AllocationRecord& block = key_storage_[m];
    if (map.empty() || block.data == nullptr) return;
    const size_t groups = (map.bucket_count() + 1) / 15;
    if (!std::has_single_bit(groups) || groups * 15 - 1 != map.bucket_count()) return;
    // boost 1.81: the slots first (groups * 15 - 1 of them), then the groups, 16-aligned.
    const auto start = reinterpret_cast<uintptr_t>(block.data);
    const uintptr_t groups_start =
        (start + (groups * 15 - 1) * sizeof(KeyMapValue) + 15) & ~uintptr_t{15};
    if (groups_start + groups * 16 > start + block.bytes) return;
    const auto* elements = static_cast<const unsigned char*>(block.data);
    const auto* groups_at = reinterpret_cast<const unsigned char*>(groups_start);
    KeyMapHint hint{groups_at, elements, static_cast<unsigned>(64 - std::countr_zero(groups))};
    // Check the layout against the map: every element that sits in the group of its hash must
    // have its reduced hash in that group's metadata, and most must sit there.
    size_t seen = 0, home = 0, i = 0;
    for (const KeyMapValue& v : map) {
      if (i++ % 7 != 0) continue;
      ++seen;
      const auto* at = reinterpret_cast<const unsigned char*>(&v);
      if (at < elements || at >= groups_at || (at - elements) % sizeof(KeyMapValue) != 0) return;
      const size_t slot = (at - elements) / sizeof(KeyMapValue);
      const uint64_t hash = PackedKeyHash{}(v.first);
      const size_t group = hash >> hint.shift;
      if (slot / 15 != group) continue;
      if (groups_at[group * 16 + slot % 15] != ReducedHash(hash)) return;
      ++home;
    }
    if (home * 2 < seen) return;
    hints_[m] = hint;
  }
  batch_hints_ = true;
}

bool Snapshot::ConflictAt(const PackedKey& key, const uint32_t* subject, size_t n, size_t stride,
                          Day today) const {
  // The USCC and the ID number shared by every counting red or black entry of this key
  // (empty / 0 when they differ or are absent).
  bool red = false, black = false, first_counting = true;
  uint64_t shared_uscc_lo = 0, shared_id = 0;
  uint32_t shared_uscc_top = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint32_t p = subject[k * stride];
    const EntryRecord& r = records_[p];
    if (r.list() == ListKind::kWatch || !Counts(p, today)) continue;
    red |= r.list() == ListKind::kRed;
    black |= r.list() == ListKind::kBlack;
    if (first_counting) {
      shared_uscc_lo = r.uscc_lo_;
      shared_uscc_top = r.uscc_top_;
      shared_id = r.id_number_;
      first_counting = false;
    } else {
      if (r.uscc_lo_ != shared_uscc_lo || r.uscc_top_ != shared_uscc_top)
        shared_uscc_lo = shared_uscc_top = 0;
      if (r.id_number_ != shared_id) shared_id = 0;
    }
  }
  // A subject's identifiers all name it; count a conflict once, at the strongest key that
  // holds all its counting entries (USCC, then ID number, then 工商注册号): a key whose
  // counting entries all share one USCC (or, for a 工商注册号, one ID number) leaves the
  // count to that key, which sees the same red and black entries. A subject known only by
  // its 工商注册号 is counted there.
  const auto type = static_cast<KeyType>(key.top >> 30);
  const bool counted_at_uscc =
      type != KeyType::kUscc && (shared_uscc_lo != 0 || shared_uscc_top != 0);
  const bool counted_at_id = type == KeyType::kRegNo && shared_id != 0;
  return red && black && !counted_at_uscc && !counted_at_id;
}

uint64_t Snapshot::CountConflicts(Day today) const {
  uint64_t n = 0;
  for (const KeyMap& map : keys_) {
    for (const KeyMapValue& slot : map) {
      const Hits hits = HitsOf(slot);
      if (hits.subject.size() < 2) continue;  // a conflict needs a red and a black entry
      n += ConflictAt(slot.first, hits.subject.data(), hits.subject.size(), 1, today);
    }
  }
  return n;
}

uint64_t Snapshot::NextVersion() {
  static std::atomic<uint64_t> versions{0};
  return ++versions;
}

Snapshot::MemoryParts Snapshot::Memory() const {
  MemoryParts m;
  m.records = records_.capacity() * sizeof(EntryRecord);
  m.profiles = profiles_.capacity() * sizeof(EntryProfile) +
               wide_dates_.bucket_count() * (sizeof(std::pair<uint32_t, EntryDates>) + 1);
  m.arena = arena_.bytes();
  for (const KeyMap& map : keys_) {
    if (map.bucket_count() == 0) continue;
    m.keys += (map.bucket_count() + 1) * sizeof(KeyMapValue) + (map.bucket_count() + 1) / 15 * 16;
    m.key_slots += map.bucket_count() + 1;
    m.key_count += map.size();
    ++m.key_maps;
  }
  m.postings = postings_.capacity() * sizeof(uint32_t);
  m.entry_index =
      entry_index_.bucket_count() * sizeof(uint32_t) + (entry_index_.bucket_count() + 1) / 15 * 16;
  for (const Roaring& r : lists_) m.bitmaps += r.getSizeInBytes();
  m.batch_hints = batch_hints_;
  return m;
}

size_t Snapshot::MemoryBytes() const {
  const MemoryParts m = Memory();
  return m.records + m.profiles + m.arena + m.keys + m.postings + m.entry_index + m.bitmaps;
}

SnapshotBuilder::SnapshotBuilder()
    : snap_(std::make_unique<Snapshot>()),
      interned_(0, InternedHash{}, InternedEq{&snap_->arena_}) {}

SnapshotBuilder::SnapshotBuilder(const Snapshot& base) : SnapshotBuilder() {
  Reserve(base.size());
  for (uint32_t i = 0; i < base.size(); ++i) Add(base.ToEntry(i));
}

void SnapshotBuilder::Reserve(size_t entries) {
  Snapshot& s = *snap_;
  s.records_.reserve(entries);
  s.entry_index_.reserve(entries);
  interned_.reserve(entries);
}

size_t SnapshotBuilder::size() const { return snap_->records_.size(); }

uint32_t SnapshotBuilder::Intern(std::string_view s) {
  if (s.empty()) return 0;
  const uint64_t hash = XXH3_64bits(s.data(), s.size());
  auto it = interned_.find(InternProbe{hash, s});
  if (it != interned_.end()) return it->offset;
  const uint32_t offset = snap_->arena_.Add(s);
  interned_.insert(Interned{hash, offset});
  return offset;
}

size_t SnapshotBuilder::ProfileHash::operator()(const EntryProfile& p) const {
  static_assert(sizeof(EntryProfile) == 32);  // no padding
  return static_cast<size_t>(XXH3_64bits(&p, sizeof p));
}

uint32_t SnapshotBuilder::InternProfile(const EntryProfile& p) {
  auto [it, added] = profile_ids_.try_emplace(p, static_cast<uint32_t>(snap_->profiles_.size()));
  if (added) snap_->profiles_.push_back(p);
  return it->second;
}

void SnapshotBuilder::Add(const Entry& e) {
  Snapshot& s = *snap_;
  EntryRecord r;
  r.entry_id_ = s.arena_.Add(e.entry_id);
  r.name_ = Intern(e.name);
  r.legal_rep_ = Intern(e.legal_rep);
  r.profile_ =
      InternProfile({Intern(e.category), Intern(e.conduct), Intern(e.outcome), Intern(e.department),
                     Intern(e.basis), Intern(e.id_type), e.memoranda});
  PackedKey key;
  if (PackIdentifier(e.uscc, &key)) {
    r.uscc_lo_ = Lo(key);
    r.uscc_top_ = key.top;
  }
  // The others keep lo only: their type is known.
  if (PackIdentifier(e.reg_no, &key)) r.reg_no_ = e.reg_no.lo;
  if (PackIdentifier(e.id_number, &key)) r.id_number_ = e.id_number.lo;
  if (PackIdentifier(e.legal_rep_id, &key)) r.legal_rep_id_ = e.legal_rep_id.lo;
  const EntryDates dates{e.decided_on, e.valid_from, e.valid_until, e.in_force_on, e.exited_on};
  bool wide = false;
  r.days_[EntryRecord::kDecidedOn] = EncodeDay(dates.decided_on, &wide);
  r.days_[EntryRecord::kValidFrom] = EncodeDay(dates.valid_from, &wide);
  r.days_[EntryRecord::kValidUntil] = EncodeDay(dates.valid_until, &wide);
  r.days_[EntryRecord::kInForceOn] = EncodeDay(dates.in_force_on, &wide);
  r.days_[EntryRecord::kExitedOn] = EncodeDay(dates.exited_on, &wide);
  r.flags_ = static_cast<uint16_t>(
      (static_cast<unsigned>(e.list) & 3) | (static_cast<unsigned>(e.subject_type) & 3) << 2 |
      (static_cast<unsigned>(e.state) & 7) << 4 | (static_cast<unsigned>(e.exit_reason) & 15) << 7 |
      (wide ? EntryRecord::kWideDates : 0));

  auto& records = s.records_;
  uint32_t index;
  auto it = s.entry_index_.find(std::string_view(e.entry_id));
  if (it != s.entry_index_.end()) {
    index = *it;
    records[index] = r;  // a known entry_id: the new version replaces the old
  } else {
    index = static_cast<uint32_t>(records.size());
    records.push_back(r);
    s.entry_index_.insert(index);
  }
  if (wide)
    s.wide_dates_[index] = dates;
  else
    s.wide_dates_.erase(index);
}

std::shared_ptr<const Snapshot> SnapshotBuilder::Build(Day today) {
  Snapshot& s = *snap_;
  const auto n = static_cast<uint32_t>(s.records_.size());
  assert(n < kRelatedBit);

  // (key, posting) pairs; sorting them groups each key's postings, the subject's own
  // entries (related bit clear) first.
  struct Pair {
    PackedKey key;
    uint32_t posting;
  };
  std::vector<Pair> pairs;
  pairs.reserve(static_cast<size_t>(n) * 2);
  for (uint32_t i = 0; i < n; ++i) {
    const EntryRecord& r = s.records_[i];
    // Every identifier in a record packs (Add checked it).
    PackedKey key;
    if ((r.uscc_top_ != 0 || r.uscc_lo_ != 0) && snapshot_internal::Pack(r.uscc(), &key))
      pairs.push_back({key, i});
    if (r.reg_no_ && snapshot_internal::Pack(r.reg_no(), &key)) pairs.push_back({key, i});
    if (r.id_number_ && snapshot_internal::Pack(r.id_number(), &key)) pairs.push_back({key, i});
    if (r.legal_rep_id_ && r.legal_rep_id_ != r.id_number_ &&
        snapshot_internal::Pack(r.legal_rep_id(), &key))
      pairs.push_back({key, i | kRelatedBit});
    s.lists_[static_cast<int>(r.list())].add(i);
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.key.top != b.key.top) return a.key.top < b.key.top;
    const uint64_t la = Lo(a.key), lb = Lo(b.key);
    if (la != lb) return la < lb;
    return a.posting < b.posting;
  });

  // The runs of equal keys, subject postings first, then related ones; a key keeps at most
  // UINT16_MAX (RunShape). Calls fn(first pair, subject postings, related postings) for each.
  auto for_each_run = [&pairs](auto fn) {
    for (size_t i = 0; i < pairs.size();) {
      size_t j = i;
      uint32_t subject = 0, related = 0;
      for (; j < pairs.size() && pairs[j].key == pairs[i].key; ++j) {
        if (subject + related == UINT16_MAX) continue;  // no subject comes near
        ++(pairs[j].posting & kRelatedBit ? related : subject);
      }
      fn(i, subject, related);
      i = j;
    }
  };
  // Distinct keys, and the postings of keys with more than one (the others keep theirs inline).
  size_t distinct = 0, shared = 0;
  for_each_run([&](size_t, uint32_t subject, uint32_t related) {
    ++distinct;
    if (subject + related > 1)
      shared += subject + related + (ShapeOf(subject, related) == snapshot_internal::kCountedShape);
  });
  for (snapshot_internal::KeyMap& map : s.keys_) map.clear();
  s.SizeKeyMaps(distinct);
  s.postings_.clear();
  s.postings_.reserve(shared);
  s.conflicts_ = 0;
  for_each_run([&](size_t i, uint32_t subject, uint32_t related) {
    const uint32_t shape = ShapeOf(subject, related);
    uint32_t value;
    if (subject + related == 1) {
      value = pairs[i].posting & ~kRelatedBit;  // in the map, not in postings_
    } else {
      value = static_cast<uint32_t>(s.postings_.size());
      if (shape == snapshot_internal::kCountedShape) s.postings_.push_back(subject << 16 | related);
      for (size_t k = i; k < i + subject + related; ++k)
        s.postings_.push_back(pairs[k].posting & ~kRelatedBit);
    }
    static_assert(sizeof(Pair) % sizeof(uint32_t) == 0);
    if (s.ConflictAt(pairs[i].key, &pairs[i].posting, subject, sizeof(Pair) / sizeof(uint32_t),
                     today))
      ++s.conflicts_;
    PackedKey key = pairs[i].key;
    const uint64_t hash = PackedKeyHash{}(key);
    key.lo_high |= shape << snapshot_internal::kShapeShift;
    s.keys_[s.MapOf(hash)].emplace(key, value);
  });
  pairs.clear();
  pairs.shrink_to_fit();
  s.SetHints();
  for (Roaring& r : s.lists_) r.runOptimize();
  s.arena_.ShrinkToFit();
  s.records_.shrink_to_fit();  // no copy when Reserve was exact
  s.profiles_.shrink_to_fit();
  s.postings_.shrink_to_fit();
  s.conflicts_day_ = today;
  s.version_ = Snapshot::NextVersion();
  interned_.clear();
  profile_ids_.clear();
  return std::shared_ptr<const Snapshot>(snap_.release());
}

}  // namespace credlist
