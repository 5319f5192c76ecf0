#include "store/entry_codec.h"

#include <xxhash.h>

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <vector>

namespace credlist {
namespace {

constexpr uint8_t kVersion = 1;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Dates: 0 for kNoDay, 1 for kForever, else the zigzag of the day + 2.
uint64_t DateCode(Day d) {
  if (d == kNoDay) return 0;
  if (d == kForever) return 1;
  const int64_t v = d;
  return (static_cast<uint64_t>(v << 1) ^ static_cast<uint64_t>(v >> 63)) + 2;
}

Day DateFromCode(uint64_t c) {
  if (c == 0) return kNoDay;
  if (c == 1) return kForever;
  c -= 2;
  return static_cast<Day>(static_cast<int64_t>(c >> 1) ^ -static_cast<int64_t>(c & 1));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool ok() const { return ok_; }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Bad();
      const auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return v;
    }
    return Bad();
  }
  uint64_t Fixed64() {
    if (end_ - p_ < 8) return Bad();
    uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  std::string_view Bytes(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) {
      Bad();
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  uint8_t Byte() { return static_cast<uint8_t>(Bytes(1).empty() ? 0 : p_[-1]); }

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

// The strings of an entry, in chunk order.
constexpr int kStoredStrings = 9;
std::string_view StringField(const Entry& e, int i) {
  switch (i) {
    case 0:
      return e.entry_id;
    case 1:
      return e.name;
    case 2:
      return e.category;
    case 3:
      return e.id_type;
    case 4:
      return e.legal_rep;
    case 5:
      return e.conduct;
    case 6:
      return e.outcome;
    case 7:
      return e.department;
    case 8:
      return e.basis;
    default:
      return {};
  }
}
std::string* StringField(Entry& e, int i) {
  switch (i) {
    case 0:
      return &e.entry_id;
    case 1:
      return &e.name;
    case 2:
      return &e.category;
    case 3:
      return &e.id_type;
    case 4:
      return &e.legal_rep;
    case 5:
      return &e.conduct;
    case 6:
      return &e.outcome;
    case 7:
      return &e.department;
    case 8:
      return &e.basis;
    default:
      return nullptr;
  }
}
}  // namespace

void EncodeEntryChunk(std::span<const Entry> entries, std::string* out) {
  // The dictionary: distinct strings in first-seen order; index 0 is "".
  struct Hash {
    size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
  };
  boost::unordered_flat_map<std::string_view, uint32_t, Hash> index;
  std::vector<std::string_view> dict = {std::string_view()};
  index.emplace(std::string_view(), 0);
  std::vector<uint32_t> refs;
  refs.reserve(entries.size() * kStoredStrings);
  for (const Entry& e : entries)
    for (int i = 0; i < kStoredStrings; ++i) {
      const std::string_view s = StringField(e, i);
      auto [it, fresh] = index.emplace(s, static_cast<uint32_t>(dict.size()));
      if (fresh) dict.push_back(s);
      refs.push_back(it->second);
    }

  out->push_back(static_cast<char>(kVersion));
  PutVarint(entries.size(), out);
  PutVarint(dict.size(), out);
  for (size_t i = 1; i < dict.size(); ++i) {
    PutVarint(dict[i].size(), out);
    out->append(dict[i]);
  }
  size_t r = 0;
  for (const Entry& e : entries) {
    for (int i = 0; i < kStoredStrings; ++i) PutVarint(refs[r++], out);
    char key[16];
    std::memcpy(key, &e.uscc.hi, 8);
    std::memcpy(key + 8, &e.uscc.lo, 8);
    out->append(key, 16);
    PutVarint(e.reg_no.lo, out);
    PutVarint(e.id_number.lo, out);
    PutVarint(e.legal_rep_id.lo, out);
    for (Day d : {e.decided_on, e.valid_from, e.valid_until, e.in_force_on, e.exited_on})
      PutVarint(DateCode(d), out);
    PutVarint(e.memoranda, out);
    const char enums[4] = {static_cast<char>(e.list), static_cast<char>(e.subject_type),
                           static_cast<char>(e.state), static_cast<char>(e.exit_reason)};
    out->append(enums, 4);
  }
}

Status DecodeEntryChunk(std::string_view chunk, const std::function<void(const Entry&)>& fn) {
  Reader in(chunk);
  const uint8_t version = in.Byte();
  if (version != kVersion)
    return Status::Io("entry chunk of version " + std::to_string(version) + ", expected " +
                      std::to_string(kVersion) + ": written by a newer credlist?");
  const uint64_t count = in.Varint();
  const uint64_t dict_size = in.Varint();
  if (!in.ok() || dict_size == 0 || dict_size > chunk.size() + 1)
    return Status::Io("entry chunk: bad header");
  std::vector<std::string_view> dict;
  dict.reserve(dict_size);
  dict.push_back({});
  for (uint64_t i = 1; i < dict_size; ++i) dict.push_back(in.Bytes(in.Varint()));
  Entry e;
  constexpr uint64_t kIdBits = static_cast<uint64_t>(KeyType::kIdNumber) << 60;
  constexpr uint64_t kRegBits = static_cast<uint64_t>(KeyType::kRegNo) << 60;
  for (uint64_t n = 0; n < count; ++n) {
    for (int i = 0; i < kStoredStrings; ++i) {
      const uint64_t ref = in.Varint();
      if (ref >= dict.size()) return Status::Io("entry chunk: bad string reference");
      StringField(e, i)->assign(dict[ref]);
    }
    e.uscc.hi = in.Fixed64();
    e.uscc.lo = in.Fixed64();
    const uint64_t reg = in.Varint(), id = in.Varint(), rep = in.Varint();
    e.reg_no = reg ? Key{kRegBits, reg} : Key{};
    e.id_number = id ? Key{kIdBits, id} : Key{};
    e.legal_rep_id = rep ? Key{kIdBits, rep} : Key{};
    e.decided_on = DateFromCode(in.Varint());
    e.valid_from = DateFromCode(in.Varint());
    e.valid_until = DateFromCode(in.Varint());
    e.in_force_on = DateFromCode(in.Varint());
    e.exited_on = DateFromCode(in.Varint());
    e.memoranda = in.Varint();
    const std::string_view enums = in.Bytes(4);
    if (!in.ok()) return Status::Io("entry chunk: cut short at entry " + std::to_string(n));
    e.list = static_cast<ListKind>(enums[0]);
    e.subject_type = static_cast<SubjectType>(enums[1]);
    e.state = static_cast<State>(enums[2]);
    e.exit_reason = static_cast<ExitReason>(enums[3]);
    if (enums[0] > 2 || enums[1] > 2 || enums[2] > 6 || enums[3] > 7)
      return Status::Io("entry chunk: bad enum value at entry " + std::to_string(n));
    fn(e);
  }
  return Status::Ok();
}

}  // namespace credlist
