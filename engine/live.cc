#include "engine/live.h"

#include <xxhash.h>

#include <array>
#include <atomic>

namespace credlist {
namespace {

constexpr std::array<std::string_view, 4> kSeverityNames = {"", "minor", "general", "serious"};

// Keys of an entry: its own identifiers (subject postings), and its legal representative's ID
// number (related postings).
template <typename F>
void ForEachKey(const Entry& e, F&& fn) {
  if (!e.uscc.empty()) fn(e.uscc, false);
  if (!e.reg_no.empty()) fn(e.reg_no, false);
  if (!e.id_number.empty()) fn(e.id_number, false);
  if (!e.legal_rep_id.empty() && e.legal_rep_id != e.id_number) fn(e.legal_rep_id, true);
}

void Erase(std::vector<const LiveEntry*>& v, const LiveEntry* e) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == e) {
      v.erase(v.begin() + static_cast<ptrdiff_t>(i));
      return;
    }
  }
}

}  // namespace

static_assert(ShardTree<int>::kShards == LiveOverlay::kShards);

std::string_view SeverityName(Severity s) { return kSeverityNames[static_cast<int>(s)]; }

std::optional<Severity> ParseSeverity(std::string_view s) {
  for (size_t i = 1; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == s) return static_cast<Severity>(i);
  return std::nullopt;
}

int SeverityMinMonths(Severity s) {
  switch (s) {
    case Severity::kGeneral:
      return 3;
    case Severity::kSerious:
      return 12;
    case Severity::kNone:
    case Severity::kMinor:
      break;
  }
  return 0;
}

int SeverityMaxMonths(Severity s) {
  switch (s) {
    case Severity::kMinor:
      return 3;
    case Severity::kGeneral:
      return 12;
    case Severity::kSerious:
      return 36;
    case Severity::kNone:
      break;
  }
  return 0;
}

bool LiveCounts(const LiveEntry& e, Day day) {
  const Entry& x = e.entry;
  // Under review before it came into force: not listed yet.
  if (x.state == State::kUnderReview && e.review_from != State::kInForce) return false;
  if (x.state == State::kPublicity && e.open_objections == 0 && e.publicity_until != kNoDay &&
      day > e.publicity_until) {
    // Confirmed by itself the day after the window (not yet recorded by the writer).
    return x.valid_from <= day && day < x.valid_until;
  }
  return CountsOn(x.state, x.in_force_on, x.exited_on, x.valid_from, x.valid_until, day);
}

State EffectiveState(const LiveEntry& e, Day today) {
  const Entry& x = e.entry;
  State s = x.state;
  if (s == State::kPublicity && e.open_objections == 0 && e.publicity_until != kNoDay &&
      today > e.publicity_until)
    s = State::kInForce;
  if ((s == State::kInForce || s == State::kUnderReview) && x.valid_until != kForever &&
      today >= x.valid_until)
    s = State::kExited;
  return s;
}

size_t LiveOverlay::StringHash::operator()(std::string_view s) const {
  return XXH3_64bits(s.data(), s.size());
}

size_t LiveOverlay::ShardOf(const Key& key) { return (KeyHash{}(key) >> 40) % kShards; }
size_t LiveOverlay::ShardOf(std::string_view id) {
  return (XXH3_64bits(id.data(), id.size()) >> 40) % kShards;
}

LiveOverlay::LiveOverlay()
    : keys_(std::make_shared<const KeyShard>()),
      ids_(std::make_shared<const IdShard>()),
      superseded_(std::make_shared<const BaseShard>()),
      version_(NextVersion()) {}

uint64_t LiveOverlay::NextVersion() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

const LivePostings* LiveOverlay::Find(const Key& key) const {
  if (entries_ == 0) return nullptr;
  const auto& map = keys_[ShardOf(key)].map;
  const auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

LivePtr LiveOverlay::FindEntry(std::string_view entry_id) const {
  const auto& map = ids_[ShardOf(entry_id)].map;
  const auto it = map.find(entry_id);
  return it == map.end() ? nullptr : it->second;
}

bool LiveOverlay::SupersededSlow(uint32_t base_index) const {
  return superseded_[base_index % kShards].set.contains(base_index);
}

OverlayEditor::OverlayEditor(std::shared_ptr<const LiveOverlay> from)
    : next_(std::make_shared<LiveOverlay>(*from)) {}

// Shards are shared with the overlay the editor started from until first written: then the
// editor copies the shard (and its group) once and writes its copy, which no reader has seen.
LiveOverlay::KeyShard& OverlayEditor::MutableKeys(size_t shard) {
  return next_->keys_.Mutable(shard, &keys_owned_);
}

LiveOverlay::IdShard& OverlayEditor::MutableIds(size_t shard) {
  return next_->ids_.Mutable(shard, &ids_owned_);
}

LiveOverlay::BaseShard& OverlayEditor::MutableBase(size_t shard) {
  return next_->superseded_.Mutable(shard, &base_owned_);
}

void OverlayEditor::Unindex(const LivePtr& old) {
  ForEachKey(old->entry, [&](const Key& key, bool related) {
    auto& map = MutableKeys(LiveOverlay::ShardOf(key)).map;
    const auto it = map.find(key);
    if (it == map.end()) return;
    Erase(related ? it->second.related : it->second.subject, old.get());
    if (it->second.subject.empty() && it->second.related.empty()) map.erase(it);
  });
}

void OverlayEditor::Index(const LivePtr& e) {
  ForEachKey(e->entry, [&](const Key& key, bool related) {
    auto& postings = MutableKeys(LiveOverlay::ShardOf(key)).map[key];
    (related ? postings.related : postings.subject).push_back(e.get());
  });
}

void OverlayEditor::Put(LivePtr entry) {
  auto& ids = MutableIds(LiveOverlay::ShardOf(entry->entry.entry_id)).map;
  auto it = ids.find(std::string_view(entry->entry.entry_id));
  if (it != ids.end()) {
    Unindex(it->second);
    ids.erase(it);  // its key viewed the old entry's id
    ids.emplace(std::string_view(entry->entry.entry_id), entry);
  } else {
    ids.emplace(std::string_view(entry->entry.entry_id), entry);
    ++next_->entries_;
    if (entry->base_index >= 0) {
      const auto b = static_cast<uint32_t>(entry->base_index);
      if (MutableBase(b % LiveOverlay::kShards).set.insert(b).second) ++next_->superseded_count_;
    }
  }
  Index(entry);
}

void OverlayEditor::Announce(Announcement a) {
  auto& chunks = next_->announcement_chunks_;
  const size_t at = next_->announcement_count_ % LiveOverlay::kChunk;
  if (at == 0) {
    chunks.push_back(std::make_shared<const LiveOverlay::AnnouncementChunk>());
    last_chunk_owned_ = true;
  } else if (!last_chunk_owned_) {
    chunks.back() = std::make_shared<const LiveOverlay::AnnouncementChunk>(*chunks.back());
    last_chunk_owned_ = true;
  }
  auto& chunk = const_cast<LiveOverlay::AnnouncementChunk&>(*chunks.back());
  if (chunk.capacity() == 0) chunk.reserve(LiveOverlay::kChunk);
  chunk.push_back(std::move(a));
  ++next_->announcement_count_;
}

std::shared_ptr<const LiveOverlay> OverlayEditor::Finish() {
  next_->version_ = LiveOverlay::NextVersion();
  return std::move(next_);
}

}  // namespace credlist
