#include "store/entry_codec.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>

namespace credlist {
namespace {

static_assert(std::endian::native == std::endian::little, "entry chunks are little-endian");

// The layout (docs/data-directory.md, "Chunk format"):
//
//   chunk  := u8 version (1) | u32 count | entry * count | u64 XXH3-64 of all bytes before it
//   entry  := string * 9          entry_id, name, category, id_type, legal_rep, conduct,
//                                 outcome, department, basis
//             u8 list | subject_type << 2 | state << 4          (bit 7 zero)
//             u8 exit_reason | key mask << 3 | raw keys << 7    (mask bit 0 uscc, 1 reg_no,
//                                                                2 id_number, 3 legal_rep_id)
//             keys                raw: u64 hi, u64 lo of each present key;
//                                 else uscc: varint (hi without its type bits), u64 lo;
//                                 reg_no, id_number, legal_rep_id: u64 lo (hi is their type)
//             varint * 5          decided_on, then valid_from, valid_until, in_force_on,
//                                 exited_on relative to decided_on (to 0 when it is absent):
//                                 0 kNoDay, 1 kForever, else zigzag(day - base) + 2
//             varint memoranda
//   string := varint 0: ""  |  1: literal  |  2: literal, remembered as the next dictionary
//             string  |  n >= 3: dictionary string n - 3
//             literal := varint size, bytes
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 1 + 4;
constexpr size_t kTrailerBytes = 8;
// Every entry takes at least this many bytes (9 strings, 2 enum bytes, 5 dates, memoranda).
constexpr size_t kMinEntryBytes = 9 + 2 + 5 + 1;

constexpr uint64_t kTypeMask = uint64_t{0xF} << 60;
constexpr uint64_t kUsccBits = static_cast<uint64_t>(KeyType::kUscc) << 60;
constexpr uint64_t kIdBits = static_cast<uint64_t>(KeyType::kIdNumber) << 60;
constexpr uint64_t kRegBits = static_cast<uint64_t>(KeyType::kRegNo) << 60;

constexpr uint8_t kMaxList = static_cast<uint8_t>(ListKind::kWatch);
constexpr uint8_t kMaxSubjectType = static_cast<uint8_t>(SubjectType::kOtherOrg);
constexpr uint8_t kMaxState = static_cast<uint8_t>(State::kExited);
constexpr uint8_t kMaxExitReason = static_cast<uint8_t>(ExitReason::kLawSpecific);
static_assert(kMaxList < 4 && kMaxSubjectType < 4 && kMaxState < 8 && kMaxExitReason < 8);

// The string fields in chunk order, and whether the encoder puts them in the dictionary: an
// entry_id is unique, a name nearly so and a legal representative's name mostly (on generated
// data the dictionary saved nothing on them), and hashing them would only cost time.
struct StringField {
  std::string Entry::*member;
  bool remember;
};
constexpr StringField kStrings[] = {
    {&Entry::entry_id, false}, {&Entry::name, false},      {&Entry::category, true},
    {&Entry::id_type, true},   {&Entry::legal_rep, false}, {&Entry::conduct, true},
    {&Entry::outcome, true},   {&Entry::department, true}, {&Entry::basis, true},
};
constexpr int kStringFields = static_cast<int>(std::size(kStrings));

enum StringTag : uint64_t { kEmpty = 0, kLiteral = 1, kRemembered = 2, kFirstRef = 3 };

// Writers of varints and fixed-width values at p, returning the end; the room is reserved.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* WriteFixed64(char* p, uint64_t v) {
  std::memcpy(p, &v, 8);
  return p + 8;
}
constexpr size_t kMaxVarint = 10;
// The most an entry takes besides its strings' bytes: a tag and a size per string, the enum
// bytes, 4 raw keys, 5 dates and the memoranda.
constexpr size_t kMaxEntryOverhead = 9 * (1 + kMaxVarint) + 2 + 4 * 16 + 6 * kMaxVarint;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

// The base that the later dates of an entry are relative to.
int64_t DateBase(Day decided_on) {
  return decided_on == kNoDay || decided_on == kForever ? 0 : decided_on;
}

uint64_t DateCode(Day d, int64_t base) {
  if (d == kNoDay) return 0;
  if (d == kForever) return 1;
  return ZigZag(static_cast<int64_t>(d) - base) + 2;
}

// Any code gives some Day (a corrupt one a wrong Day, never undefined behaviour); the codes
// that DateCode makes give their day back.
Day DateFromCode(uint64_t c, int64_t base) {
  if (c == 0) return kNoDay;
  if (c == 1) return kForever;
  return static_cast<Day>(static_cast<uint32_t>(static_cast<uint64_t>(base) + UnZigZag(c - 2)));
}

// Reads a chunk with every bound checked; after the first failure ok() is false and every read
// returns zeros.
class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

  uint64_t Varint() {
    if (p_ < end_ && static_cast<uint8_t>(*p_) < 0x80) return static_cast<uint8_t>(*p_++);
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Bad();
      const auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return v;
    }
    return Bad();  // more than 10 bytes
  }
  uint64_t Fixed64() {
    if (left() < 8) return Bad();
    uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  uint32_t Fixed32() {
    if (left() < 4) return static_cast<uint32_t>(Bad());
    uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  uint8_t Byte() {
    if (p_ >= end_) return static_cast<uint8_t>(Bad());
    return static_cast<uint8_t>(*p_++);
  }
  std::string_view Bytes(uint64_t n) {
    if (left() < n) {
      Bad();
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

 private:
  uint64_t Bad() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

Status Corrupt(const std::string& why) { return Status::Io("entry chunk: " + why); }

// Checks the version, size and checksum; on success *body is the part between header and
// trailer and *count the header's count.
Status OpenChunk(std::string_view chunk, std::string_view* body, uint32_t* count) {
  if (chunk.empty()) return Corrupt("empty");
  const auto version = static_cast<uint8_t>(chunk[0]);
  if (version != kVersion)
    return Corrupt("version " + std::to_string(version) + ", expected " + std::to_string(kVersion) +
                   " (written by a newer credlist?)");
  if (chunk.size() < kHeaderBytes + kTrailerBytes)
    return Corrupt("cut short (" + std::to_string(chunk.size()) + " bytes)");
  const size_t payload = chunk.size() - kTrailerBytes;
  uint64_t stored;
  std::memcpy(&stored, chunk.data() + payload, 8);
  if (XXH3_64bits(chunk.data(), payload) != stored)
    return Corrupt("checksum mismatch (" + std::to_string(chunk.size()) +
                   " bytes): the chunk is corrupt or cut short");
  std::memcpy(count, chunk.data() + 1, 4);
  *body = chunk.substr(kHeaderBytes, payload - kHeaderBytes);
  if (*count > body->size() / kMinEntryBytes)
    return Corrupt("header says " + std::to_string(*count) + " entries in " +
                   std::to_string(body->size()) + " bytes");
  return Status::Ok();
}

// Decodes a chunk. With kFull, fills an Entry and calls sink(const Entry&) for each entry;
// otherwise calls sink(std::string_view entry_id) and skips the rest.
template <bool kFull, typename Sink>
Status Decode(std::string_view chunk, Sink&& sink) {
  std::string_view body;
  uint32_t count = 0;
  if (Status s = OpenChunk(chunk, &body, &count); !s.ok()) return s;
  Reader in(body.data(), body.data() + body.size());
  // The dictionary: views into the chunk. Its buffer is taken from the thread and given back at
  // the end, so that a decode allocates nothing once the thread has decoded a chunk of the
  // usual size (and a decode nested in a callback gets a buffer of its own).
  thread_local std::vector<std::string_view> spare;
  struct GiveBack {
    std::vector<std::string_view> dict;
    ~GiveBack() {
      dict.clear();
      spare = std::move(dict);
    }
  } holder{std::move(spare)};
  std::vector<std::string_view>& dict = holder.dict;
  dict.clear();
  Entry e;
  std::string_view id;
  // The tag each string field had in the entry before: the same reference (or "") again needs
  // no copy, as e keeps its strings from entry to entry.
  constexpr uint64_t kNone = ~uint64_t{0};
  uint64_t last_tag[kStringFields];
  std::fill(std::begin(last_tag), std::end(last_tag), kNone);
  auto fail = [](uint32_t n, const char* what) {
    return Corrupt(std::string(what) + " at entry " + std::to_string(n));
  };
  for (uint32_t n = 0; n < count; ++n) {
    for (int f = 0; f < kStringFields; ++f) {
      const uint64_t tag = in.Varint();
      std::string_view s;
      if (tag >= kFirstRef) {
        if (tag - kFirstRef >= dict.size()) return fail(n, "bad string reference");
        s = dict[tag - kFirstRef];
      } else if (tag != kEmpty) {
        s = in.Bytes(in.Varint());
        if (tag == kRemembered) dict.push_back(s);
      }
      if constexpr (kFull) {
        if (tag != last_tag[f] || tag == kLiteral || tag == kRemembered) {
          (e.*kStrings[f].member).assign(s.data(), s.size());
          last_tag[f] = tag;
        }
      } else {
        if (f == 0) id = s;
      }
    }
    const uint8_t a = in.Byte(), b = in.Byte();
    const uint8_t list = a & 3, subject = a >> 2 & 3, state = a >> 4 & 7;
    if ((a & 0x80) || list > kMaxList || subject > kMaxSubjectType || state > kMaxState)
      return fail(n, "bad enum value");
    const uint8_t mask = b >> 3 & 0xF;
    const bool raw = b & 0x80;
    Key keys[4];
    for (int k = 0; k < 4; ++k) {
      if (!(mask & (1u << k))) continue;
      if (raw) {
        keys[k].hi = in.Fixed64();
        keys[k].lo = in.Fixed64();
      } else {
        keys[k].hi = k == 0 ? kUsccBits | (in.Varint() & ~kTypeMask) : k == 1 ? kRegBits : kIdBits;
        keys[k].lo = in.Fixed64();
      }
    }
    const Day decided_on = DateFromCode(in.Varint(), 0);
    const int64_t base = DateBase(decided_on);
    Day dates[4];
    for (Day& d : dates) d = DateFromCode(in.Varint(), base);
    const uint64_t memoranda = in.Varint();
    if (!in.ok()) return fail(n, "cut short");
    if constexpr (kFull) {
      e.list = static_cast<ListKind>(list);
      e.subject_type = static_cast<SubjectType>(subject);
      e.state = static_cast<State>(state);
      e.exit_reason = static_cast<ExitReason>(b & 7);
      e.uscc = keys[0];
      e.reg_no = keys[1];
      e.id_number = keys[2];
      e.legal_rep_id = keys[3];
      e.decided_on = decided_on;
      e.valid_from = dates[0];
      e.valid_until = dates[1];
      e.in_force_on = dates[2];
      e.exited_on = dates[3];
      e.memoranda = memoranda;
      sink(static_cast<const Entry&>(e));
    } else {
      sink(id);
    }
  }
  if (!in.at_end())
    return Corrupt(std::to_string(in.left()) + " bytes after the last of " + std::to_string(count) +
                   " entries");
  return Status::Ok();
}

}  // namespace

EntryChunkEncoder::EntryChunkEncoder() : dict_(0, RefHash{}, RefEq{this}) { Reset(); }

char* EntryChunkEncoder::Room(size_t more) {
  if (capacity_ - size_ < more) {
    const size_t capacity = std::max(size_ + more, capacity_ * 2 + 4096);
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  return data_.get() + size_;
}

void EntryChunkEncoder::Reset() {
  size_ = 0;
  char* p = Room(kHeaderBytes);
  p[0] = static_cast<char>(kVersion);
  std::memset(p + 1, 0, 4);  // the count, set by Finish
  size_ = kHeaderBytes;
  count_ = 0;
  finished_ = false;
  dict_.clear();
}

char* EntryChunkEncoder::PutString(char* p, std::string_view s, bool remember) {
  if (s.empty()) {
    *p++ = static_cast<char>(kEmpty);
    return p;
  }
  uint64_t hash = 0;
  if (remember) {
    hash = XXH3_64bits(s.data(), s.size());
    if (auto it = dict_.find(Probe{s, hash}); it != dict_.end())
      return WriteVarint(p, kFirstRef + it->second);
    // Offsets are 32-bit: a string beyond 4 GiB is written but not remembered.
    remember = static_cast<size_t>(p - data_.get()) + 1 + kMaxVarint + s.size() <=
               std::numeric_limits<uint32_t>::max();
  }
  *p++ = static_cast<char>(remember ? kRemembered : kLiteral);
  p = WriteVarint(p, s.size());
  const auto offset = static_cast<uint32_t>(p - data_.get());
  std::memcpy(p, s.data(), s.size());
  if (remember) {
    const auto index = static_cast<uint32_t>(dict_.size());
    dict_.emplace(Ref{offset, static_cast<uint32_t>(s.size()), hash}, index);
  }
  return p + s.size();
}

Status EntryChunkEncoder::Add(const Entry& e) {
  const auto list = static_cast<uint8_t>(e.list), subject = static_cast<uint8_t>(e.subject_type),
             state = static_cast<uint8_t>(e.state), exit = static_cast<uint8_t>(e.exit_reason);
  auto bad = [&](const char* field, uint8_t v) {
    return Status::Invalid(field,
                           "entry '" + e.entry_id + "' has the unknown value " + std::to_string(v));
  };
  if (list > kMaxList) return bad("list", list);
  if (subject > kMaxSubjectType) return bad("subject_type", subject);
  if (state > kMaxState) return bad("state", state);
  if (exit > kMaxExitReason) return bad("exit_reason", exit);
  if (count_ == std::numeric_limits<uint32_t>::max())
    return Status::Invalid("entries", "more than 2^32 - 1 entries in one chunk");
  if (finished_) Reset();

  // Room for the whole entry at once, then plain stores; the unused tail is cut at the end.
  size_t room = kMaxEntryOverhead;
  for (const StringField& f : kStrings) room += (e.*f.member).size();
  char* p = Room(room);

  for (const StringField& f : kStrings) p = PutString(p, e.*f.member, f.remember);

  const Key* keys[4] = {&e.uscc, &e.reg_no, &e.id_number, &e.legal_rep_id};
  uint8_t mask = 0;
  for (int k = 0; k < 4; ++k)
    if (!keys[k]->empty()) mask |= static_cast<uint8_t>(1u << k);
  // The compact form holds keys of the type their field is for, as the loaders make them.
  const bool raw = (!e.uscc.empty() && (e.uscc.hi & kTypeMask) != kUsccBits) ||
                   (!e.reg_no.empty() && e.reg_no.hi != kRegBits) ||
                   (!e.id_number.empty() && e.id_number.hi != kIdBits) ||
                   (!e.legal_rep_id.empty() && e.legal_rep_id.hi != kIdBits);
  *p++ = static_cast<char>(list | subject << 2 | state << 4);
  *p++ = static_cast<char>(exit | mask << 3 | (raw ? 0x80 : 0));
  for (int k = 0; k < 4; ++k) {
    if (!(mask & (1u << k))) continue;
    if (raw) {
      p = WriteFixed64(p, keys[k]->hi);
    } else if (k == 0) {
      p = WriteVarint(p, keys[k]->hi & ~kTypeMask);
    }
    p = WriteFixed64(p, keys[k]->lo);
  }
  const int64_t base = DateBase(e.decided_on);
  p = WriteVarint(p, DateCode(e.decided_on, 0));
  for (Day d : {e.valid_from, e.valid_until, e.in_force_on, e.exited_on})
    p = WriteVarint(p, DateCode(d, base));
  p = WriteVarint(p, e.memoranda);
  size_ = static_cast<size_t>(p - data_.get());
  ++count_;
  return Status::Ok();
}

std::string_view EntryChunkEncoder::Finish() {
  if (!finished_) {
    std::memcpy(data_.get() + 1, &count_, 4);
    const uint64_t sum = XXH3_64bits(data_.get(), size_);
    size_ = static_cast<size_t>(WriteFixed64(Room(8), sum) - data_.get());
    finished_ = true;
  }
  return std::string_view(data_.get(), size_);
}

Status EncodeEntryChunk(std::span<const Entry> entries, std::string* out) {
  EntryChunkEncoder encoder;
  for (const Entry& e : entries)
    if (Status s = encoder.Add(e); !s.ok()) return s;
  out->append(encoder.Finish());
  return Status::Ok();
}

uint32_t EntryChunkEntries(std::string_view chunk) {
  if (chunk.size() < kHeaderBytes + kTrailerBytes || static_cast<uint8_t>(chunk[0]) != kVersion)
    return 0;
  uint32_t count;
  std::memcpy(&count, chunk.data() + 1, 4);
  return count;
}

Status DecodeEntryChunk(std::string_view chunk, const std::function<void(const Entry&)>& fn) {
  return Decode<true>(chunk, fn);
}

Status DecodeEntryChunkIds(std::string_view chunk, std::vector<std::string_view>* ids) {
  return Decode<false>(chunk, [ids](std::string_view id) { ids->push_back(id); });
}

}  // namespace credlist
