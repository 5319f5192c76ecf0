#include "engine/name_search.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <numeric>

namespace credlist {
namespace {

constexpr uint32_t kNoName = ~uint32_t{0};
constexpr char32_t kInvalid = ~char32_t{0};
// Bigrams of a name that take part in scoring, at most (a longer name keeps its first ones).
constexpr size_t kMaxNameGrams = 0xFFFF;

// The next code point of `s` at *i, advancing *i; kInvalid (one byte consumed) for a byte that
// starts no well-formed sequence (overlong forms and surrogates included).
char32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  size_t len;
  char32_t c;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, c = b0 & 0x07;
  } else {
    ++*i;
    return kInvalid;
  }
  if (*i + len > s.size()) {
    ++*i;
    return kInvalid;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return kInvalid;
    }
    c = c << 6 | (b & 0x3F);
  }
  if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
      (len == 4 && (c < 0x10000 || c > 0x10FFFF))) {
    ++*i;
    return kInvalid;
  }
  *i += len;
  return c;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | c >> 6));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | c >> 12));
    out->push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | c >> 18));
    out->push_back(static_cast<char>(0x80 | (c >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// The code point a name keeps for `c`, or 0 when the name drops it (see the header).
char32_t Fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;  // full-width ASCII: ＡＢＣ（１）→ ABC(1)
  if (c < 0x80) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return c;
    return 0;  // controls, space, punctuation, symbols
  }
  if (c < 0xC0) return 0;  // C1 controls, NBSP, ·, «», ¥, ...
  if (c < 0x100) {
    if (c == 0xD7 || c == 0xF7) return 0;  // × ÷
    return c <= 0xDE ? c + 32 : c;         // À-Þ → à-þ
  }
  if (c < 0x2000) {
    if (c >= 0x300 && c <= 0x36F) return 0;       // combining marks
    if (c >= 0x391 && c <= 0x3A9) return c + 32;  // Greek capitals
    if (c >= 0x410 && c <= 0x42F) return c + 32;  // Cyrillic capitals
    if (c >= 0x400 && c <= 0x40F) return c + 80;  // Ѐ-Џ
    return c;
  }
  if (c <= 0x2BFF) {
    // General punctuation (dashes, quotes, …, zero-width characters), currency, arrows, math,
    // box drawing, shapes, dingbats; ○ and ◯ often stand for 〇 (二○二三).
    if (c == 0x25CB || c == 0x25EF) return 0x3007;
    if (c >= 0x2460 && c <= 0x24FF) return c;  // ① Ⓐ: kept
    return 0;
  }
  if (c >= 0x3000 && c <= 0x303F) {
    // CJK symbols and punctuation: 、。「」『』【】〔〕《》〈〉 ... dropped; 々 〆 〇 and the
    // Hangzhou numerals kept.
    if (c == 0x3005 || c == 0x3006 || c == 0x3007 || (c >= 0x3021 && c <= 0x3029)) return c;
    return 0;
  }
  if (c == 0x30FB) return 0;                 // ・ katakana middle dot
  if (c >= 0xD800 && c <= 0xF8FF) return 0;  // surrogates, private use
  if (c >= 0xFE10 && c <= 0xFE1F) return 0;  // vertical forms
  if (c >= 0xFE30 && c <= 0xFE6F) return 0;  // CJK compatibility and small forms ︵︶﹙﹚
  if (c == 0xFEFF) return 0;                 // BOM, zero-width no-break space
  if (c >= 0xFF00 && c <= 0xFF65) return 0;  // ｟｠｡｢｣､･ (FF01-FF5E are mapped above)
  if (c >= 0xFFE0) return c >= 0x10000 ? c : 0;  // ￥￡ and the specials (FFFD)
  if (c >= 0x1F000 && c <= 0x1FAFF) return 0;    // emoji, pictographs
  if (c >= 0xE0000 && c <= 0xE007F) return 0;    // tags
  return c;
}

template <typename Sink>
void Normalise(std::string_view name, Sink&& sink) {
  for (size_t i = 0; i < name.size();) {
    const char32_t c = DecodeUtf8(name, &i);
    if (c == kInvalid) continue;
    if (const char32_t f = Fold(c)) sink(f);
  }
}

void NormaliseAppend(std::string_view name, std::string* out) {
  Normalise(name, [out](char32_t c) { AppendUtf8(c, out); });
}

uint64_t HashText(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

// A bigram: two code points (21 bits each); a one-character name is its character and 0.
uint64_t Gram(char32_t a, char32_t b) { return uint64_t{a} << 21 | b; }

// The distinct bigrams of `cps`, sorted, into *out.
void DistinctGrams(std::u32string_view cps, std::vector<uint64_t>* out) {
  out->clear();
  if (cps.size() == 1) out->push_back(Gram(cps[0], 0));
  for (size_t i = 1; i < cps.size(); ++i) out->push_back(Gram(cps[i - 1], cps[i]));
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

void DecodeAll(std::string_view text, std::u32string* out) {
  out->clear();
  for (size_t i = 0; i < text.size();) out->push_back(DecodeUtf8(text, &i));
}

// Runs fn(t) for t in [0, threads) on `threads` threads (the calling one included).
void RunOn(unsigned threads, const std::function<void(unsigned)>& fn) {
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (std::thread& th : pool) th.join();
}

// The shard of a name hash: bits 20+, apart from the top bits boost places keys by.
unsigned ShardOf(uint64_t hash, unsigned shards) {
  return static_cast<unsigned>((hash >> 20 & 0xFFFFFFFF) % shards);
}

double LengthPenalty(size_t a, size_t b) {
  const double hi = static_cast<double>(std::max(a, b));
  const double diff = a > b ? static_cast<double>(a - b) : static_cast<double>(b - a);
  return 1.0 - 0.1 * diff / hi;
}

}  // namespace

std::string NormaliseName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  NormaliseAppend(name, &out);
  return out;
}

void NormaliseNameTo(std::string_view name, std::u32string* out) {
  out->clear();
  Normalise(name, [out](char32_t c) { out->push_back(c); });
}

size_t NameIndex::TextHash::operator()(uint32_t n) const { return HashText(index->name_text(n)); }

std::unique_ptr<NameIndex> NameIndex::Build(std::span<const NameRecord> records, unsigned threads) {
  return BuildFrom(
      records.size(), [records](size_t i) { return records[i]; }, threads);
}

std::unique_ptr<NameIndex> NameIndex::Build(const Snapshot& snap, unsigned threads) {
  return BuildFrom(
      snap.size(),
      [&snap](size_t i) {
        const EntryRecord& r = snap.record(static_cast<uint32_t>(i));
        return NameRecord{static_cast<uint32_t>(i), snap.str(r.name()), r.list()};
      },
      threads);
}

std::unique_ptr<NameIndex> NameIndex::BuildFrom(size_t n, const RecordAt& at, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::clamp<size_t>(n / 50000, 1, threads));
  std::unique_ptr<NameIndex> idx(new NameIndex());
  static const uint64_t kEmptyHash = HashText("");

  // 1. The hash of each entry's normalised name, in parallel over ranges of entries.
  std::vector<uint64_t> hashes(n);
  RunOn(threads, [&](unsigned t) {
    std::string buf;
    for (size_t i = n * t / threads, end = n * (t + 1) / threads; i < end; ++i) {
      buf.clear();
      NormaliseAppend(at(i).name, &buf);
      hashes[i] = HashText(buf);
    }
  });

  // 2. Distinct names: each thread numbers the names of its shard of hashes, in entry order.
  // Two names with one 64-bit hash would be taken for one (~n²/2^65: 3·10^-6 at 10^7 names);
  // the exact map still compares texts.
  std::vector<uint32_t> name_of(n, kNoName);
  std::vector<std::vector<uint32_t>> first_entry(threads);  // local name id → an entry
  RunOn(threads, [&](unsigned t) {
    boost::unordered_flat_map<uint64_t, uint32_t> local;
    local.reserve(n / threads / 2);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t h = hashes[i];
      if (h == kEmptyHash || ShardOf(h, threads) != t) continue;
      auto [it, added] = local.try_emplace(h, static_cast<uint32_t>(first_entry[t].size()));
      if (added) first_entry[t].push_back(static_cast<uint32_t>(i));
      name_of[i] = it->second;
    }
  });
  std::vector<uint32_t> base(threads + 1, 0);
  for (unsigned t = 0; t < threads; ++t)
    base[t + 1] = base[t] + static_cast<uint32_t>(first_entry[t].size());
  const uint32_t names = base[threads];
  RunOn(threads, [&](unsigned t) {
    for (size_t i = n * t / threads, end = n * (t + 1) / threads; i < end; ++i)
      if (name_of[i] != kNoName) name_of[i] += base[ShardOf(hashes[i], threads)];
  });
  hashes = {};

  // 3. The normalised text of each name, its length and its number of distinct bigrams.
  idx->info_.resize(names);
  std::vector<std::string> texts(threads);
  std::vector<std::vector<uint32_t>> offsets(threads);
  RunOn(threads, [&](unsigned t) {
    std::u32string cps;
    std::vector<uint64_t> grams;
    for (uint32_t local = 0; local < first_entry[t].size(); ++local) {
      offsets[t].push_back(static_cast<uint32_t>(texts[t].size()));
      NormaliseNameTo(at(first_entry[t][local]).name, &cps);
      for (char32_t c : cps) AppendUtf8(c, &texts[t]);
      DistinctGrams(cps, &grams);
      NameInfo& info = idx->info_[base[t] + local];
      info.chars = static_cast<uint8_t>(std::min<size_t>(cps.size(), 255));
      info.grams = static_cast<uint16_t>(std::min<size_t>(grams.size(), kMaxNameGrams));
    }
  });
  first_entry = {};
  size_t text_bytes = 0;
  for (const std::string& s : texts) text_bytes += s.size();
  idx->text_.reserve(text_bytes);
  idx->text_offset_.reserve(names + 1);
  for (unsigned t = 0; t < threads; ++t) {
    const auto shift = static_cast<uint32_t>(idx->text_.size());
    for (uint32_t off : offsets[t]) idx->text_offset_.push_back(off + shift);
    idx->text_ += texts[t];
    texts[t] = {};
  }
  idx->text_offset_.push_back(static_cast<uint32_t>(idx->text_.size()));

  // 3b. Name ids in the order of the names' text: the names of one bigram's postings then lie
  // close together (营口鑫华贸易…, 营口鑫华商贸…), so that scoring them reads neighbouring memory.
  {
    std::vector<uint32_t> order(names);
    std::iota(order.begin(), order.end(), 0);
    auto by_text = [&idx](uint32_t a, uint32_t b) { return idx->name_text(a) < idx->name_text(b); };
    RunOn(threads, [&](unsigned t) {
      std::sort(order.begin() + names * t / threads, order.begin() + names * (t + 1) / threads,
                by_text);
    });
    for (unsigned t = 1; t < threads; ++t)
      std::inplace_merge(order.begin(), order.begin() + names * t / threads,
                         order.begin() + names * (t + 1) / threads, by_text);
    std::string text;
    text.reserve(idx->text_.size());
    std::vector<uint32_t> offsets_sorted;
    offsets_sorted.reserve(names + 1);
    decltype(idx->info_) info(names);
    std::vector<uint32_t> rank(names);
    for (uint32_t r = 0; r < names; ++r) {
      offsets_sorted.push_back(static_cast<uint32_t>(text.size()));
      text += idx->name_text(order[r]);
      info[r] = idx->info_[order[r]];
      rank[order[r]] = r;
    }
    offsets_sorted.push_back(static_cast<uint32_t>(text.size()));
    idx->text_.swap(text);
    idx->text_offset_.swap(offsets_sorted);
    idx->info_.swap(info);
    RunOn(threads, [&](unsigned t) {
      for (size_t i = n * t / threads, end = n * (t + 1) / threads; i < end; ++i)
        if (name_of[i] != kNoName) name_of[i] = rank[name_of[i]];
    });
  }
  size_t gram_total = 0;
  for (NameInfo& info : idx->info_) {
    info.gram_begin = static_cast<uint32_t>(gram_total);
    gram_total += info.grams;
  }
  if (gram_total > ~uint32_t{0}) std::abort();  // ~4·10^9 bigrams: not a name index's scale

  // 4. Entries grouped by name (a counting sort, stable), and the lists of each name.
  idx->entry_begin_.assign(names + 1, 0);
  for (uint32_t name : name_of)
    if (name != kNoName) ++idx->entry_begin_[name + 1];
  for (uint32_t i = 0; i < names; ++i) idx->entry_begin_[i + 1] += idx->entry_begin_[i];
  idx->entry_ids_.resize(idx->entry_begin_[names]);
  idx->entry_lists_.resize(idx->entry_begin_[names]);
  {
    std::vector<uint32_t> next(idx->entry_begin_.begin(), idx->entry_begin_.end() - 1);
    for (size_t i = 0; i < n; ++i) {
      if (name_of[i] == kNoName) continue;
      const NameRecord r = at(i);
      if (next[name_of[i]] == idx->entry_begin_[name_of[i]])
        idx->info_[name_of[i]].first = static_cast<uint32_t>(i);
      const uint32_t pos = next[name_of[i]]++;
      idx->entry_ids_[pos] = r.id;
      idx->entry_lists_[pos] = static_cast<uint8_t>(r.list);
      idx->info_[name_of[i]].lists |= static_cast<uint8_t>(1u << static_cast<int>(r.list));
    }
  }
  name_of = {};

  // 5. The exact map, beside the bigram slots and postings.
  std::thread exact([&idx, names] {
    idx->exact_.reserve(names);
    for (uint32_t name = 0; name < names; ++name) idx->exact_.insert(name);
  });
  idx->name_grams_.resize(gram_total);
  idx->BuildBigrams(threads);
  exact.join();
  return idx;
}

void NameIndex::BuildBigrams(unsigned threads) {
  const auto names = static_cast<uint32_t>(distinct_names());
  // Slots, numbered in order of first appearance (one thread: the table is small and hot), and
  // each name's slots.
  std::u32string cps;
  std::vector<uint64_t> grams;
  for (uint32_t name = 0; name < names; ++name) {
    DecodeAll(name_text(name), &cps);
    DistinctGrams(cps, &grams);
    const NameInfo& info = info_[name];
    for (size_t k = 0; k < info.grams; ++k) {
      auto [it, added] =
          bigram_slot_.try_emplace(grams[k], static_cast<uint32_t>(postings_.size()));
      if (added) postings_.emplace_back();
      name_grams_[info.gram_begin + k] = it->second;
    }
  }
  // Postings, in parallel by shards of slots: each thread reads every name's slots and adds the
  // name to those of its shard (names ascending: appends).
  const auto slots = static_cast<uint32_t>(postings_.size());
  RunOn(threads, [&](unsigned t) {
    for (uint32_t name = 0; name < names; ++name) {
      const NameInfo& info = info_[name];
      for (size_t k = info.gram_begin, end = k + info.grams; k < end; ++k)
        if (name_grams_[k] % threads == t) postings_[name_grams_[k]].add(name);
    }
    for (uint32_t slot = t; slot < slots; slot += threads) {
      postings_[slot].runOptimize();
      postings_[slot].shrinkToFit();
    }
  });
  postings_size_.resize(slots);
  for (uint32_t slot = 0; slot < slots; ++slot)
    postings_size_[slot] = static_cast<uint32_t>(postings_[slot].cardinality());
}

bool NameIndex::Emit(uint32_t n, double score, bool exact, const NameSearchOptions& options,
                     std::vector<NameMatch>* out) const {
  for (uint32_t e = entry_begin_[n]; e < entry_begin_[n + 1]; ++e) {
    if (options.list && entry_lists_[e] != static_cast<uint8_t>(*options.list)) continue;
    const uint32_t id = entry_ids_[e];
    if (options.accept && !options.accept(id)) continue;
    out->push_back(NameMatch{id, score, exact});
    if (out->size() >= options.limit) return false;
  }
  return true;
}

namespace {

struct Scored {
  double score;
  uint32_t first;  // NameInfo::first, for ties
  uint32_t name;
};

// What a search scribbles on, kept per thread so that a search allocates only its result.
struct Scratch {
  std::u32string query;
  std::string text;
  std::vector<uint64_t> grams;
  std::vector<uint64_t> marks;  // bit per bigram slot: the query's; all clear between searches
  std::vector<uint32_t> seeds[NameIndex::kSeeds];
  std::vector<uint32_t> merged;
  std::vector<uint32_t> candidates;
  std::vector<Scored> scored;
  std::vector<NameIndex::NameInfo> infos;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

std::vector<NameMatch> NameIndex::Search(std::string_view name,
                                         const NameSearchOptions& options) const {
  std::vector<NameMatch> out;
  if (options.limit == 0) return out;
  Scratch& s = ThreadScratch();
  NormaliseNameTo(name, &s.query);
  if (s.query.empty()) return out;

  // Exact: the name whose normalised text is the query's.
  s.text.clear();
  for (char32_t c : s.query) AppendUtf8(c, &s.text);
  uint32_t exact_name = kNoName;
  if (auto it = exact_.find(Probe{HashText(s.text), s.text}); it != exact_.end()) {
    exact_name = *it;
    if (!Emit(exact_name, 1.0, true, options, &out)) return out;
  }

  // The query's bigrams that some name has, rarest first.
  const size_t query_chars = s.query.size();
  if (s.query.size() > kMaxQueryChars) s.query.resize(kMaxQueryChars);
  DistinctGrams(s.query, &s.grams);
  const size_t m = s.grams.size();
  struct Present {
    uint32_t df;
    uint32_t slot;
  };
  Present present[kMaxQueryChars];
  size_t np = 0;
  for (uint64_t g : s.grams)
    if (auto it = bigram_slot_.find(g); it != bigram_slot_.end())
      present[np++] = Present{postings_size_[it->second], it->second};
  if (np == 0) return out;
  std::sort(present, present + np, [](const Present& a, const Present& b) {
    return a.df < b.df || (a.df == b.df && a.slot < b.slot);
  });

  // The query's bigrams as bits, for scoring.
  const size_t words = (postings_.size() + 63) / 64;
  if (s.marks.size() < words) s.marks.resize(words, 0);
  uint64_t* marks = s.marks.data();
  for (size_t k = 0; k < np; ++k)
    marks[present[k].slot >> 6] |= uint64_t{1} << (present[k].slot & 63);
  const uint8_t want =
      options.list ? static_cast<uint8_t>(1u << static_cast<int>(*options.list)) : uint8_t{0xFF};

  // Scores the names of `ids`, at most `budget` of them, onto s.scored. Memory-bound: each
  // name's info and then its slots are a cache miss (the arrays are big, in huge pages), so
  // the infos are gathered first, prefetched far ahead, and then the slots, prefetched.
  auto score = [&](const std::vector<uint32_t>& ids, size_t budget) {
    const size_t count = std::min(ids.size(), budget);
    s.infos.resize(count);
    constexpr size_t kAhead = 32;
    for (size_t i = 0; i < count; ++i) {
      if (i + kAhead < count) __builtin_prefetch(&info_[ids[i + kAhead]]);
      s.infos[i] = info_[ids[i]];
    }
    for (size_t i = 0; i < count; ++i) {
      if (i + kAhead / 2 < count)
        __builtin_prefetch(&name_grams_[s.infos[i + kAhead / 2].gram_begin]);
      const uint32_t n = ids[i];
      const NameInfo& info = s.infos[i];
      if (n == exact_name || (info.lists & want) == 0) continue;
      const uint32_t* slot = &name_grams_[info.gram_begin];
      uint32_t shared = 0;
      for (uint32_t k = 0; k < info.grams; ++k)
        shared += static_cast<uint32_t>(marks[slot[k] >> 6] >> (slot[k] & 63) & 1);
      const double dice = 2.0 * shared / static_cast<double>(m + info.grams);
      s.scored.push_back(
          Scored{std::min(0.99, dice * LengthPenalty(query_chars, info.chars)), info.first, n});
    }
    return count;
  };
  // Best first (ties: in order of first appearance), from a heap; a name is emitted once nothing
  // unscored can beat it (`bound`).
  auto below = [](const Scored& a, const Scored& b) {
    return a.score < b.score || (a.score == b.score && a.first > b.first);
  };
  size_t held = 0;  // s.scored[0, held) is the heap of names scored and not emitted
  auto emit_down_to = [&](double bound) {
    while (held > 0 && s.scored.front().score >= bound) {
      std::pop_heap(s.scored.begin(), s.scored.begin() + static_cast<ptrdiff_t>(held), below);
      --held;
      if (!Emit(s.scored[held].name, s.scored[held].score, false, options, &out)) return false;
    }
    return true;
  };

  // Candidates, rarest bigram first: the first kSeedPostings names of each of the kSeeds rarest
  // that no rarer one brought in, kMaxScored names in all. After the k rarest, a name not yet
  // scored lacks all k: it shares at most np - k bigrams, and scores at most 2j/(m + j) for
  // j = np - k.
  s.scored.clear();
  s.merged.clear();  // the names of the seeds so far, ascending
  size_t budget = kMaxScored;
  const size_t seeds = std::min(kSeeds, np);
  bool more = true;
  for (size_t k = 0; k < seeds && budget > 0 && more; ++k) {
    std::vector<uint32_t>& seed = s.seeds[0];
    // Enough of the seed to leave `budget` names that no rarer one brought.
    const size_t take = std::min<size_t>({present[k].df, kSeedPostings, budget + s.merged.size()});
    seed.resize(take);
    postings_[present[k].slot].rangeUint32Array(seed.data(), 0, take);
    std::vector<uint32_t>& fresh = s.candidates;
    fresh.resize(seed.size());
    fresh.erase(std::set_difference(seed.begin(), seed.end(), s.merged.begin(), s.merged.end(),
                                    fresh.begin()),
                fresh.end());
    s.scored.resize(held);  // drop the names emitted
    budget -= score(fresh, budget);
    held = s.scored.size();
    std::make_heap(s.scored.begin(), s.scored.end(), below);
    const bool last = k + 1 == seeds || budget == 0;
    double bound = -1;
    if (!last) {
      const double j = static_cast<double>(np - k - 1);
      bound = std::min(0.99, 2 * j / (static_cast<double>(m) + j));
      std::vector<uint32_t>& into = s.seeds[1];
      into.resize(s.merged.size() + seed.size());
      into.erase(
          std::set_union(s.merged.begin(), s.merged.end(), seed.begin(), seed.end(), into.begin()),
          into.end());
      s.merged.swap(into);
    }
    more = emit_down_to(bound);
  }
  if (more) emit_down_to(-1);
  for (size_t k = 0; k < np; ++k) marks[present[k].slot >> 6] = 0;
  return out;
}

NameIndex::MemoryParts NameIndex::Memory() const {
  MemoryParts p;
  p.names = text_offset_.capacity() * sizeof(uint32_t) + info_.capacity() * sizeof(NameInfo) +
            entry_begin_.capacity() * sizeof(uint32_t);
  p.text = text_.capacity();
  p.entries = entry_ids_.capacity() * sizeof(uint32_t) + entry_lists_.capacity();
  // boost's flat containers: a slot per bucket and 16 bytes of metadata per group of 15.
  p.exact = exact_.bucket_count() * sizeof(uint32_t) + exact_.bucket_count() * 16 / 15;
  p.postings = bigram_slot_.bucket_count() * (sizeof(uint64_t) + sizeof(uint32_t)) +
               bigram_slot_.bucket_count() * 16 / 15 + postings_.capacity() * sizeof(Roaring) +
               postings_size_.capacity() * sizeof(uint32_t);
  for (const Roaring& r : postings_) {
    p.postings += r.getSizeInBytes(false);
    p.posting_entries += r.cardinality();
  }
  p.name_grams = name_grams_.capacity() * sizeof(uint32_t);
  p.distinct_names = distinct_names();
  p.bigrams = postings_.size();
  return p;
}

size_t NameIndex::MemoryBytes() const {
  const MemoryParts p = Memory();
  return p.names + p.text + p.entries + p.exact + p.postings + p.name_grams;
}

std::shared_ptr<const LiveNames> LiveNames::Build(std::shared_ptr<const LiveOverlay> overlay) {
  auto live = std::make_shared<LiveNames>();
  if (overlay) {
    overlay->ForEachEntry([&live](const LivePtr& e) { live->entries.push_back(e); });
    std::sort(live->entries.begin(), live->entries.end(), [](const LivePtr& a, const LivePtr& b) {
      return a->entry.entry_id < b->entry.entry_id;
    });
  }
  live->overlay = std::move(overlay);
  if (!live->entries.empty()) {
    std::vector<NameRecord> records;
    records.reserve(live->entries.size());
    for (size_t i = 0; i < live->entries.size(); ++i) {
      const Entry& e = live->entries[i]->entry;
      records.push_back(NameRecord{static_cast<uint32_t>(i), e.name, e.list});
    }
    live->names = NameIndex::Build(records, 1);
  }
  return live;
}

std::vector<SearchHit> SearchNames(const Snapshot& snap, const NameIndex& names,
                                   const LiveNames* live, std::string_view name,
                                   const NameSearchOptions& options, std::optional<Day> counts_on) {
  const LiveOverlay* overlay =
      live && live->overlay && !live->overlay->empty() ? live->overlay.get() : nullptr;
  NameSearchOptions base = options;
  base.accept = [&](uint32_t i) {
    if (counts_on && !snap.Counts(i, *counts_on)) return false;
    if (options.accept && !options.accept(i)) return false;
    // Superseded: a live entry has its entry_id (its own index may be of another snapshot).
    return overlay == nullptr || overlay->FindEntry(snap.str(snap.record(i).entry_id())) == nullptr;
  };
  const std::vector<NameMatch> from_snapshot = names.Search(name, base);
  std::vector<NameMatch> from_live;
  if (live && live->names) {
    NameSearchOptions o;
    o.list = options.list;
    o.limit = options.limit;
    if (counts_on)
      o.accept = [live, day = *counts_on](uint32_t i) {
        return LiveCounts(*live->entries[i], day);
      };
    from_live = live->names->Search(name, o);
  }
  // Merged: exact first, then by score; the snapshot's first on a tie.
  std::vector<SearchHit> out;
  out.reserve(std::min(options.limit, from_snapshot.size() + from_live.size()));
  auto a = from_snapshot.begin();
  auto b = from_live.begin();
  auto before = [](const NameMatch& x, const NameMatch& y) {  // x strictly before y
    return x.exact != y.exact ? x.exact : x.score > y.score;
  };
  while (out.size() < options.limit && (a != from_snapshot.end() || b != from_live.end())) {
    if (b == from_live.end() || (a != from_snapshot.end() && !before(*b, *a))) {
      out.push_back(SearchHit{*a++, nullptr});
    } else {
      out.push_back(SearchHit{*b, live->entries[b->id].get()});
      ++b;
    }
  }
  return out;
}

NameIndexCache::NameIndexCache(const Catalog& catalog, unsigned threads)
    : catalog_(catalog),
      threads_(threads),
      watcher_([this](std::stop_token stop) { Watch(std::move(stop)); }) {}

NameIndexCache::~NameIndexCache() {
  watcher_.request_stop();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const SearchableSnapshot> NameIndexCache::Get() {
  std::shared_ptr<const SearchableSnapshot> held = current_.load(std::memory_order_acquire);
  if (held && (held->generation == catalog_.generation() || held->snapshot->size() > 0))
    return held;
  Refresh();  // none yet, or only the empty one: wait for the build (the watcher's, or ours)
  return current_.load(std::memory_order_acquire);
}

std::shared_ptr<const LiveNames> NameIndexCache::GetLive() {
  // The generation first, as in Refresh: an overlay published between the two reads leaves
  // a pair that looks stale, and the next call looks again.
  const uint64_t generation = catalog_.generation();
  std::shared_ptr<const HeldLive> held = live_.load(std::memory_order_acquire);
  if (held && held->generation == generation) return held->live;
  std::lock_guard lock(live_mu_);
  held = live_.load(std::memory_order_acquire);
  if (held && held->generation == generation) return held->live;
  std::shared_ptr<const LiveOverlay> overlay = catalog_.CurrentLive();
  std::shared_ptr<const LiveNames> live =
      held && held->live->overlay == overlay ? held->live : LiveNames::Build(std::move(overlay));
  live_.store(std::make_shared<const HeldLive>(HeldLive{generation, live}),
              std::memory_order_release);
  return live;
}

void NameIndexCache::Refresh() {
  std::lock_guard lock(build_mu_);
  // The generation first: a publish between the two reads then leaves a pair that looks
  // stale, and the next refresh only renumbers it.
  const uint64_t generation = catalog_.generation();
  std::shared_ptr<const Snapshot> snap = catalog_.Current();
  std::shared_ptr<const SearchableSnapshot> held = current_.load(std::memory_order_acquire);
  if (held && held->generation == generation) return;
  std::shared_ptr<const NameIndex> names =
      held && held->snapshot == snap ? held->names : NameIndex::Build(*snap, threads_);
  current_.store(std::make_shared<const SearchableSnapshot>(
                     SearchableSnapshot{std::move(snap), std::move(names), generation}),
                 std::memory_order_release);
}

void NameIndexCache::Watch(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::shared_ptr<const SearchableSnapshot> held = current_.load(std::memory_order_acquire);
    if (!held || held->generation != catalog_.generation()) Refresh();
    std::unique_lock lock(watch_mu_);
    watch_cv_.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
  }
}

}  // namespace credlist
