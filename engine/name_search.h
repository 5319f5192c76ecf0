// Name search (API.md `GET /v1/search`, DESIGN.md §6): exact and similar names of listed
// subjects, each with a score.
//
// Normalisation. Two spellings of one name must meet: NormaliseName folds full-width forms to
// half-width (ＡＢＣ１２３ → abc123), upper case to lower case (ASCII, Latin-1, Greek, Cyrillic),
// ○ and ◯ to 〇, and drops whitespace (U+3000 too), punctuation of every keyboard (（）and (),
// 【】, 《》, ・, ·, quotes, dashes, ...), symbols, controls, zero-width characters and invalid
// UTF-8. What is left is letters, digits and CJK characters: 营口（鲅鱼圈）鑫华 贸易 and
// 营口(鲅鱼圈)鑫华贸易 are one name. The table of cases is tests/cases/names.tsv.
//
// The index. A NameIndex holds each distinct normalised name once (a name id, in the order of
// the names' text, so that similar names lie close together in memory), with the
// entries that bear it (the data repeats names: a name is scored once for all its entries),
// the number of its characters, the lists its entries are on, and:
//   - an exact map: a hash set of name ids, hashed and compared by the normalised text;
//   - a bigram table: each pair of adjacent code points of some name gets a slot (a dense id),
//     with a CRoaring bitmap of the name ids that contain it, its postings (a one-character
//     name is indexed by its character and an end mark, so it is found too);
//   - for each name, the slots of its distinct bigrams, as a small array.
// Entries are uint32 ids chosen by whoever builds the index: the entry indices of a Snapshot,
// or any ids (NameIndex::Build from NameRecords, for the live overlay's entries).
//
// A search. Exact first: the entries of the name equal to the query after normalisation, score
// 1, from the exact map alone; when they fill the limit, that is the whole search. Then similar
// names by the Dice coefficient of the two sets of bigrams, 2|Q∩N|/(|Q|+|N|), times a length
// penalty of at most 10% (1 - 0.1·|len q - len n| / max), at most 0.99. The candidates are not
// the union of all postings: a bigram such as 有限 or 公司 is in millions of names. The query's
// bigrams that some name has are taken rarest first; each of the three rarest brings in the
// names of its first kSeedPostings postings that no rarer one brought, and each of those is
// scored exactly, by testing its bigram slots against a bitset of the query's (no bitmap
// operation; the arrays are a per-thread scratch, so a search allocates only its result). After
// the k rarest, a name not yet seen lacks them all, so it shares at most p - k of the p bigrams
// present and scores at most 2(p-k)/(|Q|+p-k): the names held that score at least that are
// emitted, and the search stops once the limit is reached, or after kMaxScored names. So a
// name that lacks at most two of the query's bigrams (one character different lacks two) is a
// candidate, unless one of the three rarest has more than kSeedPostings postings or the budget
// runs out first; a name that shares only common bigrams with the query is missed, the price
// of a bounded search.
//
// The live overlay (engine/live.h). Entries under the life cycle are few and change with every
// write: LiveNames is a small NameIndex over the overlay's entries, built once per overlay
// version, and SearchNames searches both, leaving out the snapshot entries that a live entry
// (the same entry_id) supersedes, and merges the two by score.
//
// Where it lives. A NameIndex belongs to one Snapshot (entry indices are the snapshot's):
// NameIndexCache keeps the pair (SearchableSnapshot) for the Catalog's current snapshot behind
// an atomic shared_ptr, and a watcher thread builds the index of each newly published snapshot
// (it polls Catalog::generation(), an atomic load, every 100 ms). Until it is built, searches
// are answered from the previous pair, as a load keeps answering from the old snapshot until
// the new one is in: nobody sees a snapshot with half an index. This touches neither Snapshot
// nor Catalog; the price is that the previous snapshot is held a few seconds longer after a
// publish (the index build time, bench/README.md). A server that has published no snapshot
// with entries yet waits for the first build instead of answering from the empty one. The
// live index is built by the first search that sees a new overlay (milliseconds for thousands
// of entries), so an entry is searchable as soon as its write is acknowledged.
//
// Thread-safety. A NameIndex never changes once built: any number of threads may search it.
// NameIndexCache::Get may be called from any thread. NormaliseName is a pure function.
#pragma once

#include <roaring/roaring.hh>

#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/catalog.h"
#include "engine/date.h"
#include "engine/entry.h"
#include "engine/huge_alloc.h"
#include "engine/live.h"
#include "engine/snapshot.h"

namespace credlist {

// The normalised form of a name (UTF-8); "" when nothing of it is a letter or a digit.
std::string NormaliseName(std::string_view name);
// The same as code points, into *out (cleared first).
void NormaliseNameTo(std::string_view name, std::u32string* out);

// One entry to index: its id, its name as written and its list.
struct NameRecord {
  uint32_t id = 0;
  std::string_view name;
  ListKind list = ListKind::kBlack;
};

struct NameMatch {
  uint32_t id = 0;     // the entry, as given to Build
  double score = 0;    // 1 for an exact name; (0, 0.99] for a similar one
  bool exact = false;  // the normalised names are equal
};

struct NameSearchOptions {
  std::optional<ListKind> list;  // only entries on this list; all lists when empty
  size_t limit = 10;             // at most this many matches
  // Only entries for which this returns true (visibility, in force on a day); all when empty.
  std::function<bool(uint32_t id)> accept;
};

class NameIndex {
 public:
  // The query's rarest bigrams that bring in candidates, and their postings taken at most.
  static constexpr size_t kSeeds = 3;
  static constexpr uint64_t kSeedPostings = 1 << 13;
  // Names scored at most, per search.
  static constexpr size_t kMaxScored = 1 << 12;
  // Characters of a query that take part in similarity (an exact match uses them all).
  static constexpr size_t kMaxQueryChars = 64;

  // What scoring reads of a name, in 12 bytes (public for the search's per-thread scratch).
  struct NameInfo {
    uint32_t gram_begin = 0;  // its first slot in name_grams_
    uint32_t first = 0;       // the position of its first entry among those given to Build
    uint16_t grams = 0;       // distinct bigrams (slots from gram_begin)
    uint8_t chars = 0;        // code points, at most 255
    uint8_t lists = 0;        // bit l: an entry of the name is on list l
  };

  // Bytes of each part (MemoryBytes is their sum) and counts.
  struct MemoryParts {
    size_t names = 0;       // per name: text offset, first entry, first bigram, lengths, lists
    size_t text = 0;        // normalised names
    size_t entries = 0;     // entry ids and lists, grouped by name
    size_t exact = 0;       // the exact map's storage
    size_t postings = 0;    // bigram bitmaps, their map and document frequencies
    size_t name_grams = 0;  // the bigram slots of each name
    size_t distinct_names = 0;
    size_t bigrams = 0;          // distinct bigrams
    size_t posting_entries = 0;  // sum of the bitmaps' cardinalities
  };

  // Indexes `records` (ids need not be distinct or dense). `threads` 0: every core.
  static std::unique_ptr<NameIndex> Build(std::span<const NameRecord> records,
                                          unsigned threads = 0);
  // Indexes every entry of `snap` by its entry index (record(i).name(), record(i).list()).
  static std::unique_ptr<NameIndex> Build(const Snapshot& snap, unsigned threads = 0);

  NameIndex(const NameIndex&) = delete;
  NameIndex& operator=(const NameIndex&) = delete;

  // Exact matches first, then similar ones by score (ties: in the order the names first
  // appear in what was given to Build; the entries of one name in that order too); at most
  // options.limit. An empty normalised query matches nothing.
  std::vector<NameMatch> Search(std::string_view name, const NameSearchOptions& options) const;

  size_t size() const { return entry_ids_.size(); }  // entries
  size_t distinct_names() const { return text_offset_.size() - 1; }
  // The normalised text of name id `n` (for tests and tools).
  std::string_view name_text(uint32_t n) const {
    return std::string_view(text_).substr(text_offset_[n], text_offset_[n + 1] - text_offset_[n]);
  }
  MemoryParts Memory() const;
  size_t MemoryBytes() const;

 private:
  NameIndex() = default;
  using RecordAt = std::function<NameRecord(size_t)>;
  static std::unique_ptr<NameIndex> BuildFrom(size_t n, const RecordAt& at, unsigned threads);
  void BuildBigrams(unsigned threads);

  // The exact map hashes and compares name ids by their text; transparent for a probe.
  struct Probe {
    uint64_t hash;
    std::string_view text;
  };
  struct TextHash {
    using is_transparent = void;
    using is_avalanching = void;
    const NameIndex* index;
    size_t operator()(uint32_t n) const;
    size_t operator()(const Probe& p) const { return p.hash; }
  };
  struct TextEq {
    using is_transparent = void;
    const NameIndex* index;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(const Probe& p, uint32_t n) const { return p.text == index->name_text(n); }
    bool operator()(uint32_t n, const Probe& p) const { return p.text == index->name_text(n); }
  };
  // Appends the matches of name id `n` that pass the filters; false once `limit` is reached.
  bool Emit(uint32_t n, double score, bool exact, const NameSearchOptions& options,
            std::vector<NameMatch>* out) const;

  std::string text_;                   // the normalised names, one after another
  std::vector<uint32_t> text_offset_;  // name id → offset in text_; one more at the end
  // The two arrays scoring reads at random, in huge pages (engine/huge_alloc.h).
  std::vector<NameInfo, HugePageAllocator<NameInfo>> info_;        // name id → what scoring reads
  std::vector<uint32_t, HugePageAllocator<uint32_t>> name_grams_;  // each name's bigram slots
  std::vector<uint32_t> entry_begin_;  // name id → its first entry in entry_ids_; one more
  std::vector<uint32_t> entry_ids_;    // entries grouped by name, in input order within one
  std::vector<uint8_t> entry_lists_;   // ListKind of entry_ids_[i]
  boost::unordered_flat_set<uint32_t, TextHash, TextEq> exact_{0, TextHash{this}, TextEq{this}};
  boost::unordered_flat_map<uint64_t, uint32_t> bigram_slot_;  // bigram → slot
  std::vector<Roaring> postings_;                              // slot → name ids
  std::vector<uint32_t> postings_size_;                        // slot → cardinality
};

// A snapshot with the name index built from it.
struct SearchableSnapshot {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<const NameIndex> names;
  uint64_t generation = 0;  // the Catalog generation it was built for
};

// The entries of one LiveOverlay version with a name index of their own.
struct LiveNames {
  // `overlay` may be null (no live entries).
  static std::shared_ptr<const LiveNames> Build(std::shared_ptr<const LiveOverlay> overlay);

  std::shared_ptr<const LiveOverlay> overlay;
  std::vector<LivePtr> entries;            // by entry_id; the index's ids are positions here
  std::unique_ptr<const NameIndex> names;  // null when there are no entries
};

// One result of SearchNames: a snapshot entry (live null, match.id its index) or a live one.
struct SearchHit {
  NameMatch match;
  const LiveEntry* live = nullptr;  // owned by the LiveNames searched
};

// Searches the snapshot's index and the live overlay's together: the snapshot entries a live
// entry supersedes (the same entry_id) are left out, the live entries are searched in their
// place. With `counts_on`, only the entries that count on that day (Snapshot::Counts,
// LiveCounts); options.accept applies to snapshot entries only. Exact matches first, then by
// score; on a tie the snapshot's first. `live` may be null.
std::vector<SearchHit> SearchNames(const Snapshot& snap, const NameIndex& names,
                                   const LiveNames* live, std::string_view name,
                                   const NameSearchOptions& options, std::optional<Day> counts_on);

// The name index of a Catalog's current snapshot, kept current by a watcher thread, and that of
// its live overlay (see the top of this file). Destroying the cache stops the watcher (waiting
// for a build under way).
class NameIndexCache {
 public:
  // `threads`: for each build (0: every core).
  explicit NameIndexCache(const Catalog& catalog, unsigned threads = 0);
  ~NameIndexCache();
  NameIndexCache(const NameIndexCache&) = delete;
  NameIndexCache& operator=(const NameIndexCache&) = delete;

  // The current pair, or the previous one while the current snapshot's index is being built.
  std::shared_ptr<const SearchableSnapshot> Get();
  // The current live overlay's entries and index; the first call after a write builds them.
  std::shared_ptr<const LiveNames> GetLive();

 private:
  struct HeldLive {
    uint64_t generation = 0;  // the Catalog generation it was found current at
    std::shared_ptr<const LiveNames> live;
  };
  // Builds the index of the catalog's current snapshot unless the pair held is of it.
  void Refresh();
  void Watch(std::stop_token stop);

  const Catalog& catalog_;
  const unsigned threads_;
  std::atomic<std::shared_ptr<const SearchableSnapshot>> current_;
  std::atomic<std::shared_ptr<const HeldLive>> live_;
  std::mutex build_mu_;  // one build at a time
  std::mutex live_mu_;   // one live build at a time
  std::mutex watch_mu_;
  std::condition_variable_any watch_cv_;
  std::jthread watcher_;  // last: stopped and joined first
};

}  // namespace credlist
