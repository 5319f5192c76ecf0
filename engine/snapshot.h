// Snapshot: the immutable in-memory index of all list entries (DESIGN.md §6).
//
// Layout (sizes per entry in bench/README.md):
//   - records_: one 64-byte EntryRecord an entry, one cache line: its identifiers, the offsets
//     of its own strings, its dates in 16 bits, its enums, and the index of its profile;
//   - profiles_: the fields that repeat across entries (category, conduct, outcome,
//     department, basis, id_type, memoranda), each distinct combination once;
//   - arena_: the strings, each stored once except entry ids, referred to by 32-bit offsets;
//   - keys_: a boost::unordered_flat_map from every identifier, packed into 12 bytes (the
//     subject's USCC, 工商注册号 and ID number, and the legal representative's ID number) to its
//     postings: the entries of that subject, then the entries in which it is the legal
//     representative (`related`). A key with one posting keeps it in the map (a 4-byte value);
//     the others point into postings_ (snapshot_internal::RunShape); a slot is 16 bytes, one
//     cache line holds four. boost sizes a table in powers of two (groups of 15 slots, filled to
//     at most 87.5%), so n keys would take anything from 1.14 n to 2.3 n slots; when that saves
//     memory the keys are split between two maps of 2^a and 2^b groups (a > b) by bits 8-39 of
//     their hash, both ~80% full (boost places a key by the top a bits of its hash and tags it
//     with the low 8, so the split does not bias either while a <= 24);
//   - CRoaring bitmaps of the entries of each list.
// The big arrays (records, arena, postings, the maps' storage, the entry-id index) are in
// transparent huge pages where the kernel offers them (huge_alloc.h).
//
// A Snapshot never changes once built, so any number of threads may read it without locking;
// spans and references it hands out live as long as it does. Build one with SnapshotBuilder
// (one thread); publish it with Catalog (catalog.h).
#pragma once

#include <roaring/roaring.hh>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/huge_alloc.h"
#include "engine/ids.h"

namespace credlist {

// Strings of all entries, each stored as a varint length and its bytes. Offset 0 is "".
// Not thread-safe while strings are added; Get is safe from any thread once adding stops.
class StringArena {
 public:
  StringArena() { bytes_.push_back(0); }
  uint32_t Add(std::string_view s);
  std::string_view Get(uint32_t offset) const;
  size_t bytes() const { return bytes_.capacity(); }
  void ShrinkToFit() { bytes_.shrink_to_fit(); }

 private:
  friend class SnapshotImage;  // reads and writes bytes_ whole
  std::vector<char, HugePageAllocator<char>> bytes_;
};

// The fields that many entries share: one row per distinct combination (Snapshot::profile).
// Strings are arena offsets.
struct EntryProfile {
  uint32_t category = 0;
  uint32_t conduct = 0;
  uint32_t outcome = 0;
  uint32_t department = 0;
  uint32_t basis = 0;
  uint32_t id_type = 0;
  uint64_t memoranda = 0;  // Entry::memoranda

  friend bool operator==(const EntryProfile&, const EntryProfile&) = default;
};

// The dates of an entry, as in Entry.
struct EntryDates {
  Day decided_on = kNoDay;
  Day valid_from = kNoDay;
  Day valid_until = kForever;
  Day in_force_on = kNoDay;
  Day exited_on = kNoDay;
};

// The compact form of an Entry inside a snapshot: 64 bytes. String fields are arena offsets
// (Snapshot::str); category, conduct, outcome, department, basis, id_type and the memoranda are
// in the profile (Snapshot::profile); the dates are read through the Snapshot (Snapshot::dates,
// Snapshot::Counts), which keeps the rare dates that do not fit 16 bits beside the record.
class EntryRecord {
 public:
  uint32_t entry_id() const { return entry_id_; }
  uint32_t name() const { return name_; }
  uint32_t legal_rep() const { return legal_rep_; }
  uint32_t profile() const { return profile_; }
  ListKind list() const { return static_cast<ListKind>(flags_ & 3); }
  SubjectType subject_type() const { return static_cast<SubjectType>(flags_ >> 2 & 3); }
  State state() const { return static_cast<State>(flags_ >> 4 & 7); }
  ExitReason exit_reason() const { return static_cast<ExitReason>(flags_ >> 7 & 15); }
  // Identifiers, as Entry has them (an empty Key when absent).
  Key uscc() const;
  Key reg_no() const;
  Key id_number() const;
  Key legal_rep_id() const;

 private:
  friend class Snapshot;
  friend class SnapshotBuilder;
  friend class SnapshotImage;

  // A date in 16 bits, order kept: 0 is kNoDay, 0xFFFF kForever, d + 1 a day d in
  // [0, kMaxDay16] (1970-01-01 to 2149-06-04). An entry with any other date has kWideDates set
  // and its dates in Snapshot::wide_dates_.
  static constexpr Day kMaxDay16 = 0xFFFD;
  enum DayField { kDecidedOn, kValidFrom, kValidUntil, kInForceOn, kExitedOn, kDayFields };
  static constexpr uint16_t kWideDates = 1u << 11;

  uint64_t uscc_lo_ = 0;  // Key::lo of the USCC
  uint64_t reg_no_ = 0;   // Key::lo of a 工商注册号, 0 when absent
  uint64_t id_number_ = 0;
  uint64_t legal_rep_id_ = 0;
  uint32_t uscc_top_ = 0;  // the USCC's type and high bits (PackedKey::top); 0 when absent
  uint32_t entry_id_ = 0;
  uint32_t name_ = 0;
  uint32_t legal_rep_ = 0;
  uint32_t profile_ = 0;
  uint16_t days_[kDayFields] = {};
  // list (bits 0-1), subject_type (2-3), state (4-6), exit_reason (7-10), kWideDates.
  uint16_t flags_ = 0;
};
static_assert(sizeof(EntryRecord) == 64);

// The postings of one key (entry indices); both spans are empty for an unknown key. They point
// into the snapshot: into postings_, or into the key map itself for a key with one posting.
struct Hits {
  std::span<const uint32_t> subject;
  std::span<const uint32_t> related;
};

namespace snapshot_internal {

// A Key in 12 bytes: Key::lo as two words, then the type (2 bits) and the 30 high bits of a
// USCC. Every Key that ParseUscc, ParseIdNumber or ParseRegNo makes packs exactly, and its lo
// has 60 bits: in the key map the top 4 bits of lo_high hold the key's run shape (RunShape),
// which equality and hashing ignore (0 in a key that is looked up).
struct PackedKey {
  uint32_t lo_low = 0;
  uint32_t lo_high = 0;
  uint32_t top = 0;

  friend bool operator==(const PackedKey&, const PackedKey&) = default;  // shape bits too
};
inline constexpr uint32_t kShapeShift = 28;
inline constexpr uint32_t kLoHighMask = (1u << kShapeShift) - 1;
// False (and *out unchanged) for a Key no parser makes.
bool Pack(const Key& key, PackedKey* out);
Key Unpack(const PackedKey& key);  // ignores the run shape

// A key with its hash, for lookups that hash first (FindBatch).
struct HashedKey {
  PackedKey key;
  uint64_t hash;
};

// XXH3 of the Key's 16 bytes (KeyHash): the same hash from a Key (before packing it, in a
// lookup) as from its PackedKey. Avalanching, so boost uses it as it is (no extra mixing).
uint64_t HashKey(const Key& key);
struct PackedKeyHash {
  using is_avalanching = void;
  using is_transparent = void;
  size_t operator()(const PackedKey& k) const noexcept;
  size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
};

struct PackedKeyEq {
  using is_transparent = void;
  static bool Same(const PackedKey& a, const PackedKey& b) {
    return a.lo_low == b.lo_low && ((a.lo_high ^ b.lo_high) & kLoHighMask) == 0 && a.top == b.top;
  }
  bool operator()(const PackedKey& a, const PackedKey& b) const { return Same(a, b); }
  bool operator()(const HashedKey& a, const PackedKey& b) const { return Same(a.key, b); }
  bool operator()(const PackedKey& a, const HashedKey& b) const { return Same(a, b.key); }
};

// How a key's postings are kept, by its shape (subject, related): the number of its entries
// that are the subject's own, and of those where the key is the legal representative's ID
// number. Shapes 0 and 1, a single posting, keep it in the map's value (the entry index);
// shapes 2-14 are the commonest others, their postings at postings_[value...]; shape 15 is any
// other, with postings_[value] = subject << 16 | related and the postings after it. So a slot
// of the map is 16 bytes (a key and one word), and Find reads the postings only for shape 15.
struct RunShape {
  uint16_t subject;
  uint16_t related;
};
inline constexpr RunShape kRunShapes[15] = {{1, 0}, {0, 1}, {2, 0}, {0, 2}, {0, 3},
                                            {3, 0}, {0, 4}, {1, 1}, {0, 5}, {1, 2},
                                            {4, 0}, {1, 3}, {0, 6}, {2, 1}, {2, 2}};
inline constexpr uint32_t kCountedShape = 15;

using KeyMapValue = std::pair<const PackedKey, uint32_t>;
using KeyMap = boost::unordered_flat_map<PackedKey, uint32_t, PackedKeyHash, PackedKeyEq,
                                         HugePageAllocator<KeyMapValue>>;
static_assert(sizeof(KeyMapValue) == 16);

// Where a KeyMap keeps the metadata group and the slots of a hash (boost 1.81's layout of the
// block it allocates), for prefetching only: FindBatch reads these addresses to prefetch, never
// to answer; the answer always comes from KeyMap::find. Set only when checked against the map
// at build (snapshot.cc).
struct KeyMapHint {
  const unsigned char* groups = nullptr;    // 16 bytes a group
  const unsigned char* elements = nullptr;  // 15 KeyMapValue a group
  unsigned shift = 63;                      // group = hash >> shift
};

}  // namespace snapshot_internal

class Snapshot {
 public:
  // Bytes of each part of the index (MemoryBytes is their sum).
  struct MemoryParts {
    size_t records = 0;
    size_t profiles = 0;  // profiles and the entries with wide dates
    size_t arena = 0;
    size_t keys = 0;  // the key maps' storage
    size_t postings = 0;
    size_t entry_index = 0;
    size_t bitmaps = 0;
    size_t key_count = 0;      // distinct keys
    size_t key_slots = 0;      // slots of the key maps
    size_t key_maps = 0;       // 1 or 2
    bool batch_hints = false;  // FindBatch prefetches into the key maps
  };

  Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  size_t size() const { return records_.size(); }
  const EntryRecord& record(uint32_t i) const { return records_[i]; }
  std::string_view str(uint32_t offset) const { return arena_.Get(offset); }
  const EntryProfile& profile(const EntryRecord& r) const { return profiles_[r.profile()]; }
  EntryDates dates(uint32_t i) const;
  // Whether entry i counts on `day`: CountsOn (entry.h) for its state and dates.
  bool Counts(uint32_t i, Day day) const;
  // The entry as an owned Entry (for the store, for tests).
  Entry ToEntry(uint32_t i) const;
  // The index of an entry by its entry_id, or -1.
  int64_t FindEntry(std::string_view entry_id) const;

  Hits Find(const Key& key) const;
  // Finds n keys at once; out[i] is Find(keys[i]). Hashes each key a few keys ahead and
  // prefetches its group and slot in the key map, so that n lookups overlap their misses.
  void FindBatch(const Key* keys, size_t n, Hits* out) const;

  const Roaring& list_bitmap(ListKind list) const { return lists_[static_cast<int>(list)]; }
  // Subjects on the red and the black list at once (in force today at build time).
  uint64_t conflicts() const { return conflicts_; }
  // Resident bytes of the index (records, profiles, arena, map, postings, bitmaps).
  size_t MemoryBytes() const;
  MemoryParts Memory() const;
  // Counter of builds: each snapshot has a larger one than the one before it.
  uint64_t version() const { return version_; }
  // The day conflicts() was counted for (Build's `today`).
  Day conflicts_day() const { return conflicts_day_; }

 private:
  friend class SnapshotBuilder;
  friend class SnapshotImage;  // engine/snapshot_image.h: writes and reads the arrays whole
  using KeyMap = snapshot_internal::KeyMap;

  // Hashes and compares entry indices by their entry_id text; transparent for string_view.
  struct EntryIdHash {
    using is_transparent = void;
    using is_avalanching = void;
    const Snapshot* snap;
    size_t operator()(uint32_t i) const {
      // An image read in supplies each index's hash as it inserts it (snapshot_image.cc).
      if (i == snap->known_entry_) [[unlikely]]
        return snap->known_entry_hash_;
      return (*this)(snap->str(snap->records_[i].entry_id()));
    }
    size_t operator()(std::string_view id) const;
  };
  struct EntryIdEq {
    using is_transparent = void;
    const Snapshot* snap;
    std::string_view Text(uint32_t i) const { return snap->str(snap->records_[i].entry_id()); }
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(std::string_view a, uint32_t b) const { return a == Text(b); }
    bool operator()(uint32_t a, std::string_view b) const { return Text(a) == b; }
  };

  // The map a hash belongs to.
  size_t MapOf(uint64_t hash) const { return ((hash >> 8) & 0xFFFFFFFFu) >= route_limit_; }
  Hits HitsOf(const snapshot_internal::KeyMapValue& slot) const;
  Hits FindHashed(const snapshot_internal::HashedKey& key) const;
  bool CountsWide(uint32_t i, Day day) const;
  // Sizes the key maps for n distinct keys (empty maps).
  void SizeKeyMaps(size_t n);
  // Sets hints_ when boost's layout is the one KeyMapHint expects.
  void SetHints();
  // Whether the key with these subject postings (subject[0], subject[stride], ...: n of them)
  // is where a conflict on `today` is counted (Build, CountConflicts).
  bool ConflictAt(const snapshot_internal::PackedKey& key, const uint32_t* subject, size_t n,
                  size_t stride, Day today) const;
  // conflicts() for another day, from the key maps.
  uint64_t CountConflicts(Day today) const;
  static uint64_t NextVersion();

  std::vector<EntryRecord, HugePageAllocator<EntryRecord>> records_;
  std::vector<EntryProfile> profiles_;
  boost::unordered_flat_map<uint32_t, EntryDates> wide_dates_;  // entries with kWideDates
  StringArena arena_;
  AllocationRecord key_storage_[2];
  KeyMap keys_[2];
  uint64_t route_limit_ = uint64_t{1} << 32;  // keys_[1] holds the hashes with bits 8-39 >= it
  snapshot_internal::KeyMapHint hints_[2];
  bool batch_hints_ = false;
  std::vector<uint32_t, HugePageAllocator<uint32_t>> postings_;
  boost::unordered_flat_set<uint32_t, EntryIdHash, EntryIdEq, HugePageAllocator<uint32_t>>
      entry_index_{0, EntryIdHash{this}, EntryIdEq{this}};
  Roaring lists_[kListKinds];
  // While SnapshotImage inserts entry `known_entry_` into entry_index_, its hash (read from
  // the image, so that the insert need not read the entry_id); ~0u otherwise.
  uint32_t known_entry_ = ~0u;
  uint64_t known_entry_hash_ = 0;
  uint64_t conflicts_ = 0;
  Day conflicts_day_ = kNoDay;
  uint64_t version_ = 0;
};

inline bool Snapshot::Counts(uint32_t i, Day day) const {
  // CountsOn (entry.h) on the 16-bit days, whose order is that of the days.
  const EntryRecord& r = records_[i];
  const State state = r.state();
  if (state != State::kInForce && state != State::kExited && state != State::kUnderReview)
    return false;
  if ((r.flags_ & EntryRecord::kWideDates) ||
      static_cast<uint32_t>(day) > static_cast<uint32_t>(EntryRecord::kMaxDay16)) [[unlikely]]
    return CountsWide(i, day);
  const auto d = static_cast<uint16_t>(day + 1);
  const uint16_t in_force_on = r.days_[EntryRecord::kInForceOn];
  const uint16_t exited_on = r.days_[EntryRecord::kExitedOn];
  if (state == State::kExited && exited_on == 0) return false;  // exit date unknown
  if (d < in_force_on) return false;                            // 0 (kNoDay) < every d
  if (exited_on != 0 && d >= exited_on) return false;
  return r.days_[EntryRecord::kValidFrom] <= d && d < r.days_[EntryRecord::kValidUntil];
}

// Builds a Snapshot from entries, one thread. Adding an entry whose entry_id is already there
// replaces it (API.md: loading a known entry_id replaces the entry). Identifiers must be as
// ParseUscc, ParseIdNumber and ParseRegNo make them (the loaders check them); any other is
// dropped, as if absent (asserted in debug builds).
class SnapshotBuilder {
 public:
  SnapshotBuilder();
  // Starts from every entry of `base` (a reload keeps what was there).
  explicit SnapshotBuilder(const Snapshot& base);

  // Room for about `entries` entries (a restore knows how many it will add): the records, the
  // entry_id index and the interning table then grow no more, which saves their copies and
  // the page faults of memory taken only to be left.
  void Reserve(size_t entries);
  void Add(const Entry& e);
  size_t size() const;
  std::shared_ptr<const Snapshot> Build(Day today);

 private:
  // A string in the arena and its hash (the interning table's element).
  struct Interned {
    uint64_t hash;
    uint32_t offset;
  };
  struct InternProbe {
    uint64_t hash;
    std::string_view text;
  };
  struct InternedHash {
    using is_transparent = void;
    using is_avalanching = void;
    size_t operator()(const Interned& x) const { return x.hash; }
    size_t operator()(const InternProbe& x) const { return x.hash; }
  };
  struct InternedEq {
    using is_transparent = void;
    const StringArena* arena;
    bool operator()(const Interned& a, const Interned& b) const { return a.offset == b.offset; }
    bool operator()(const InternProbe& a, const Interned& b) const {
      return a.hash == b.hash && a.text == arena->Get(b.offset);
    }
    bool operator()(const Interned& a, const InternProbe& b) const { return (*this)(b, a); }
  };
  struct ProfileHash {
    using is_avalanching = void;
    size_t operator()(const EntryProfile& p) const;
  };

  uint32_t Intern(std::string_view s);
  uint32_t InternProfile(const EntryProfile& p);

  std::unique_ptr<Snapshot> snap_;
  boost::unordered_flat_set<Interned, InternedHash, InternedEq> interned_;
  boost::unordered_flat_map<EntryProfile, uint32_t, ProfileHash> profile_ids_;
};

}  // namespace credlist
