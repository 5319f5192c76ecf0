// Live entries: the entries under the life cycle, and the overlay readers see them through.
//
// A loaded snapshot (snapshot.h) is immutable and big; the life cycle (lifecycle.h) changes a
// few entries at a time. So the entries that the life cycle has touched — submitted through
// the API, or loaded and then exited, objected to, repaired — are LiveEntry values kept in a
// LiveOverlay beside the snapshot (DESIGN.md §6: "a small delta over the base"). A live entry
// with the entry_id of a snapshot entry supersedes it: a check reads the snapshot, drops the
// superseded entries, and adds the live ones of the same key (engine/check.h).
//
// A LiveOverlay never changes once published. The writer makes the next one with an
// OverlayEditor, which copies only the shards it touches (a few hundred pointers per write
// batch, whatever the overlay's size), so a write costs the same with ten or a million live
// entries, and readers hold whichever version they picked up without any lock. LiveEntry
// values are shared between versions and never modified after they are published.
#pragma once

#include <array>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/ids.h"

namespace credlist {

// The grade of a dishonest act under the national credit-repair rule in force since
// 2026-04-01 (国家发展改革委令第36号): it bounds the publication of an entry (DESIGN.md §4).
enum class Severity : uint8_t {
  kNone = 0,     // no bound (the seed sets none)
  kMinor = 1,    // 轻微: published at most 3 months
  kGeneral = 2,  // 一般: 3 months to 1 year
  kSerious = 3,  // 严重: 1 to 3 years
};
std::string_view SeverityName(Severity s);  // "", "minor", "general", "serious"
std::optional<Severity> ParseSeverity(std::string_view s);
// The months of publication before which a repair is refused, and after which publication
// stops by itself (0 and 0 for kNone: no bound).
int SeverityMinMonths(Severity s);
int SeverityMaxMonths(Severity s);

// One transition of an entry: the history of GET /v1/entries/{id}.
struct Event {
  std::string event;       // submitted, rejected, notified, publicized, confirmed, ...
  Day on = kNoDay;         // the day it takes effect (may lie in the past)
  int64_t at_ms = 0;       // when it was recorded, Unix milliseconds
  std::string actor;       // a token id, "system", or the name an objector gave
  std::string role;        // anyone, checker, department, admin, system
  std::string department;  // the actor's department, when it has one
  std::string reason;
  std::string payload;  // the event's own fields, a JSON object's members ("" for none)
};

// A correction of an erroneous listing (seed 六): for a black or watch entry the written
// apology and the clarification, for a red one the benefits to recover.
struct Correction {
  std::string text;
  std::string objection_id;
  Day on = kNoDay;
};

struct LiveEntry {
  Entry entry;  // its state, exit_reason, in_force_on and exited_on are the current ones
  Severity severity = Severity::kNone;
  Day notified_on = kNoDay;  // 事前告知
  std::string notice_channel;
  Day publicity_from = kNoDay;  // 公示, both days inclusive
  Day publicity_until = kNoDay;
  State review_from = State::kSubmitted;  // what an open objection suspended
  uint32_t open_objections = 0;
  bool confirmed_by_system = false;  // came into force the day after its publicity, by itself
  std::string reject_reason;
  std::string exit_note;
  std::vector<Correction> corrections;
  std::vector<Event> history;
  int64_t base_index = -1;  // the snapshot entry it supersedes, -1 for none
};

// Whether a live entry counts on `day` (API.md): CountsOn, and an entry in publicity with no
// open objection counts from the day after its window, with no call (DESIGN.md §4).
bool LiveCounts(const LiveEntry& e, Day day);
// The state as a reader on `today` sees it: in_force for an entry whose publicity ended with
// no objection (the writer records that confirmation at its next chance), exited (expired)
// for one past its validity.
State EffectiveState(const LiveEntry& e, Day today);

// An exit announcement (退出公告): every exit publishes one (DESIGN.md §4).
struct Announcement {
  uint64_t seq = 0;  // 1, 2, ... in publication order
  int64_t at_ms = 0;
  Day exited_on = kNoDay;
  std::shared_ptr<const LiveEntry> entry;  // the entry as it exited
};

using LivePtr = std::shared_ptr<const LiveEntry>;

// The live entries of one key. The overlay that holds the postings owns the entries (by their
// entry_id), so the postings point without owning: copying a shard costs no reference counts.
struct LivePostings {
  std::vector<const LiveEntry*> subject;  // entries of the subject with this key
  std::vector<const LiveEntry*> related;  // entries whose legal representative has this ID number
};

// 1024 shards in 32 groups of 32, each shared between versions until written: a version
// copies the 32 group pointers, and a write copies one group (32 pointers) and one shard, so
// a batch of writes costs a few hundred reference counts whatever the overlay's size.
template <typename Shard>
class ShardTree {
 public:
  static constexpr size_t kGroups = 32, kPerGroup = 32, kShards = kGroups * kPerGroup;
  explicit ShardTree(std::shared_ptr<const Shard> empty) {
    auto group = std::make_shared<Group>();
    group->shards.fill(empty);
    groups_.fill(group);
  }
  const Shard& operator[](size_t i) const { return *groups_[i / kPerGroup]->shards[i % kPerGroup]; }
  template <typename F>
  void ForEach(F&& fn) const {
    for (const auto& g : groups_)
      for (const auto& shard : g->shards) fn(*shard);
  }
  // Shard i, to write: its group and itself copied first unless `owned` says this editor
  // made them (owned: one bit per group, then one per shard).
  Shard& Mutable(size_t i, std::vector<bool>* owned) {
    if (owned->empty()) owned->resize(kGroups + kShards);
    const size_t g = i / kPerGroup;
    if (!(*owned)[g]) {
      groups_[g] = std::make_shared<const Group>(*groups_[g]);
      (*owned)[g] = true;
    }
    auto& group = const_cast<Group&>(*groups_[g]);
    if (!(*owned)[kGroups + i]) {
      group.shards[i % kPerGroup] = std::make_shared<const Shard>(*group.shards[i % kPerGroup]);
      (*owned)[kGroups + i] = true;
    }
    return const_cast<Shard&>(*group.shards[i % kPerGroup]);
  }

 private:
  struct Group {
    std::array<std::shared_ptr<const Shard>, kPerGroup> shards;
  };
  std::array<std::shared_ptr<const Group>, kGroups> groups_;
};

class LiveOverlay {
 public:
  static constexpr size_t kShards = 1024;

  LiveOverlay();
  bool empty() const { return entries_ == 0; }
  // A number no other overlay has (a copy keeps it), larger than those of the overlays made
  // before it: each OverlayEditor::Finish and each LiveOverlay() takes the next one. What is
  // computed from an overlay can be kept under it (engine/list_index.h, publication_cache.h).
  uint64_t version() const { return version_; }
  size_t size() const { return entries_; }
  // Null for a key with no live entry.
  const LivePostings* Find(const Key& key) const;
  LivePtr FindEntry(std::string_view entry_id) const;
  // Whether snapshot entry `base_index` is superseded by a live entry.
  bool Superseded(uint32_t base_index) const {
    return superseded_count_ != 0 && SupersededSlow(base_index);
  }
  // Calls fn(const LivePtr&) for every live entry, in no particular order.
  template <typename F>
  void ForEachEntry(F&& fn) const {
    ids_.ForEach([&](const IdShard& shard) {
      for (const auto& [id, e] : shard.map) fn(e);
    });
  }
  size_t announcements() const { return announcement_count_; }
  const Announcement& announcement(size_t i) const {
    return (*announcement_chunks_[i / kChunk])[i % kChunk];
  }

 private:
  friend class OverlayEditor;
  static constexpr size_t kChunk = 512;
  struct KeyShard {
    boost::unordered_flat_map<Key, LivePostings, KeyHash> map;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  struct StringEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  // Keyed by a view of the entry's own entry_id, which the value keeps alive.
  struct IdShard {
    boost::unordered_flat_map<std::string_view, LivePtr, StringHash, StringEq> map;
  };
  struct BaseShard {
    boost::unordered_flat_set<uint32_t> set;
  };
  using AnnouncementChunk = std::vector<Announcement>;

  static size_t ShardOf(const Key& key);
  static size_t ShardOf(std::string_view id);
  static uint64_t NextVersion();
  bool SupersededSlow(uint32_t base_index) const;

  ShardTree<KeyShard> keys_;
  ShardTree<IdShard> ids_;
  ShardTree<BaseShard> superseded_;
  std::vector<std::shared_ptr<const AnnouncementChunk>> announcement_chunks_;
  size_t entries_ = 0;
  size_t superseded_count_ = 0;
  size_t announcement_count_ = 0;
  uint64_t version_ = 0;
};

// Makes the next LiveOverlay from the current one. Reads through the editor see its own
// changes. One thread; the overlay it started from is never modified.
class OverlayEditor {
 public:
  explicit OverlayEditor(std::shared_ptr<const LiveOverlay> from);

  const LivePostings* Find(const Key& key) const { return next_->Find(key); }
  LivePtr FindEntry(std::string_view entry_id) const { return next_->FindEntry(entry_id); }
  bool Superseded(uint32_t base_index) const { return next_->Superseded(base_index); }
  size_t announcements() const { return next_->announcements(); }

  // Puts `entry` in the place of the live entry with its entry_id (if any).
  void Put(LivePtr entry);
  void Announce(Announcement a);
  // The new overlay; the editor is spent.
  std::shared_ptr<const LiveOverlay> Finish();

 private:
  LiveOverlay::KeyShard& MutableKeys(size_t shard);
  LiveOverlay::IdShard& MutableIds(size_t shard);
  LiveOverlay::BaseShard& MutableBase(size_t shard);
  void Unindex(const LivePtr& old);
  void Index(const LivePtr& e);

  std::shared_ptr<LiveOverlay> next_;
  std::vector<bool> keys_owned_, ids_owned_, base_owned_;  // ShardTree::Mutable
  bool last_chunk_owned_ = false;
};

}  // namespace credlist
