#include "engine/ids.h"

#include <xxhash.h>

#include "engine/date.h"

namespace credlist {
namespace {

constexpr std::string_view kUsccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";  // 31 symbols

// The value of a USCC character, or -1.
int UsccValue(char c) {
  static const auto kTable = [] {
    struct T {
      int8_t v[256];
    } t{};
    for (int i = 0; i < 256; ++i) t.v[i] = -1;
    for (size_t i = 0; i < kUsccChars.size(); ++i) t.v[static_cast<uint8_t>(kUsccChars[i])] = i;
    return t;
  }();
  return kTable.v[static_cast<uint8_t>(c)];
}

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

uint64_t DigitsValue(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

constexpr uint64_t TypeBits(KeyType t) { return static_cast<uint64_t>(t) << 60; }

bool HasBirthDate(std::string_view yyyymmdd) {
  const int y = static_cast<int>(DigitsValue(yyyymmdd.substr(0, 4)));
  const int m = static_cast<int>(DigitsValue(yyyymmdd.substr(4, 2)));
  const int d = static_cast<int>(DigitsValue(yyyymmdd.substr(6, 2)));
  return y >= 1850 && IsValidCivil(y, m, d) && DayFromCivil(y, m, d) <= Today();
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Shape checks shared by ParseIdNumber and ParseLookupKey. Returns "" when the 18-character
// number is valid, otherwise the reason.
std::string IdNumber18Problem(std::string_view s) {
  if (!AllDigits(s.substr(0, 17)) || !(AllDigits(s.substr(17)) || s[17] == 'X'))
    return "must be 17 digits and a digit or X";
  if (!HasBirthDate(s.substr(6, 8))) return "digits 7-14 are not a real birth date";
  const char want = IdNumberCheckChar(s.substr(0, 17));
  if (s[17] != want) return std::string("check character should be ") + want;
  return "";
}

bool OldIdNumberShape(std::string_view s) {
  return s.size() == 15 && AllDigits(s) && HasBirthDate("19" + std::string(s.substr(6, 6)));
}

bool RegNoHolds(std::string_view s) {
  return s.size() == 15 && AllDigits(s) && RegNoCheckDigit(s.substr(0, 14)) == s[14];
}

Key PackIdNumber(std::string_view s18) {
  const uint64_t check = s18[17] == 'X' ? 10 : static_cast<uint64_t>(s18[17] - '0');
  return Key{TypeBits(KeyType::kIdNumber), DigitsValue(s18.substr(0, 17)) * 11 + check};
}

Key PackRegNo(std::string_view s15) { return Key{TypeBits(KeyType::kRegNo), DigitsValue(s15)}; }

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kUscc:
      return "uscc";
    case KeyType::kIdNumber:
      return "id_number";
    case KeyType::kRegNo:
      return "reg_no";
    case KeyType::kNone:
      break;
  }
  return "";
}

size_t KeyHash::operator()(const Key& k) const noexcept {
  return static_cast<size_t>(XXH3_64bits(&k, sizeof k));
}

namespace {

// Appends the normalised form of raw to *out (an std::string or a FixedBuffer).
template <typename Out>
void NormalizeTo(std::string_view raw, Out* out) {
  for (size_t i = 0; i < raw.size();) {
    const auto c = static_cast<unsigned char>(raw[i]);
    // Full-width ASCII U+FF01..U+FF5E is EF BC 81..BF and EF BD 80..9E in UTF-8.
    if (c == 0xEF && i + 2 < raw.size()) {
      const auto b1 = static_cast<unsigned char>(raw[i + 1]);
      const auto b2 = static_cast<unsigned char>(raw[i + 2]);
      if ((b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) || (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E)) {
        const int cp = ((b1 & 0x3F) << 6 | (b2 & 0x3F)) + 0xF000;  // U+FF01..U+FF5E
        char half = static_cast<char>(cp - 0xFF01 + 0x21);
        if (half >= 'a' && half <= 'z') half = static_cast<char>(half - 'a' + 'A');
        out->push_back(half);
        i += 3;
        continue;
      }
    }
    if (c == 0xE3 && i + 2 < raw.size() && static_cast<unsigned char>(raw[i + 1]) == 0x80 &&
        static_cast<unsigned char>(raw[i + 2]) == 0x80) {  // U+3000 ideographic space
      i += 3;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    out->push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : static_cast<char>(c));
    ++i;
  }
}

// The normalised text of an identifier without a heap allocation: identifiers are short, so
// the text lives in an inline buffer unless the input is unusually long.
class Normalized {
 public:
  explicit Normalized(std::string_view raw) {
    if (raw.size() <= sizeof buf_) {
      NormalizeTo(raw, this);
    } else {
      NormalizeTo(raw, &long_);
    }
  }
  std::string_view view() const { return long_.empty() ? std::string_view(buf_, n_) : long_; }
  void push_back(char c) { buf_[n_++] = c; }  // never more bytes out than in

 private:
  char buf_[48];
  size_t n_ = 0;
  std::string long_;
};

}  // namespace

std::string NormalizeIdentifier(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  NormalizeTo(raw, &out);
  return out;
}

char UsccCheckChar(std::string_view first17) {
  int sum = 0, weight = 1;
  for (char c : first17) {
    sum += UsccValue(c) * weight;
    weight = weight * 3 % 31;
  }
  return kUsccChars[(31 - sum % 31) % 31];
}

char OrgCodeCheckChar(std::string_view first8) {
  static constexpr int kWeights[] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (size_t i = 0; i < 8; ++i) {
    const char c = first8[i];
    const int v = c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
    sum += v * kWeights[i];
  }
  const int check = 11 - sum % 11;
  return check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
}

char IdNumberCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * ((1 << (17 - i)) % 11);
  return "10X98765432"[sum % 11];
}

char RegNoCheckDigit(std::string_view first14) {
  int p = 10;
  for (char c : first14) {
    int s = (p + (c - '0')) % 10;
    if (s == 0) s = 10;
    p = s * 2 % 11;
  }
  return static_cast<char>('0' + (11 - p) % 10);
}

Result<Key> ParseUscc(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  if (s.size() != 18)
    return Status::Invalid(
        f, "USCC " + Quoted(s) + " must have 18 characters, has " + std::to_string(s.size()));
  for (size_t i = 0; i < 18; ++i)
    if (UsccValue(s[i]) < 0) {
      // One byte of a multi-byte character is not text: naming it would put invalid UTF-8
      // into the error (and into the JSON that carries it).
      const std::string what = static_cast<unsigned char>(s[i]) < 0x80
                                   ? "'" + std::string(1, s[i]) + "'"
                                   : std::string("a non-ASCII character");
      return Status::Invalid(f, "USCC " + Quoted(s) + " has " + what + " at position " +
                                    std::to_string(i + 1) +
                                    " (allowed: 0-9 and A-Z without I, O, S, V, Z)");
    }
  const char want = UsccCheckChar(std::string_view(s).substr(0, 17));
  if (s[17] != want)
    return Status::Invalid(
        f, "USCC " + Quoted(s) + " fails its check: the 18th character should be " + want);
  const char org_want = OrgCodeCheckChar(std::string_view(s).substr(8, 8));
  if (s[16] != org_want)
    return Status::Invalid(f,
                           "USCC " + Quoted(s) +
                               " has an organisation code (positions 9-17) that fails its check: "
                               "the 17th character should be " +
                               org_want);
  Key k;
  // 18 x 5 bits: the first 6 characters in hi, the last 12 in lo (60 bits).
  for (size_t i = 0; i < 6; ++i) k.hi = k.hi << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  for (size_t i = 6; i < 18; ++i) k.lo = k.lo << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  k.hi |= TypeBits(KeyType::kUscc);
  return k;
}

Result<Key> ParseIdNumber(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  if (s.size() == 15) {
    if (!AllDigits(s)) return Status::Invalid(f, "ID number " + Quoted(s) + " must be 15 digits");
    if (!OldIdNumberShape(s))
      return Status::Invalid(f,
                             "ID number " + Quoted(s) + ": digits 7-12 are not a real birth date");
    return PackIdNumber(ConvertOldIdNumber(s));
  }
  if (s.size() != 18)
    return Status::Invalid(f, "ID number " + Quoted(s) +
                                  " must have 18 characters (or 15 digits), has " +
                                  std::to_string(s.size()));
  const std::string problem = IdNumber18Problem(s);
  if (!problem.empty()) return Status::Invalid(f, "ID number " + Quoted(s) + ": " + problem);
  return PackIdNumber(s);
}

Result<Key> ParseRegNo(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  if (s.size() != 15 || !AllDigits(s))
    return Status::Invalid(f, "工商注册号 " + Quoted(s) + " must be 15 digits");
  const char want = RegNoCheckDigit(std::string_view(s).substr(0, 14));
  if (s[14] != want)
    return Status::Invalid(
        f, "工商注册号 " + Quoted(s) + " fails its check: the 15th digit should be " + want);
  return PackRegNo(s);
}

Result<LookupKey> ParseLookupKey(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  LookupKey out;
  if (s.empty()) return Status::Invalid(f, "is empty");
  if (s.size() == 18) {
    // An 18-character key is an ID number when its first 17 characters are digits, its birth
    // date is real and its check holds, and a USCC when the USCC checks hold. Both readings
    // can hold at once (an all-digit USCC whose division ends in 19 or 20 and whose
    // organisation code starts with a date: 911101199001012379), and then both are looked up,
    // as for a 15-digit key: taking only one would make the other subject a silent miss.
    const bool id_shape = AllDigits(s.substr(0, 17)) && HasBirthDate(s.substr(6, 8)) &&
                          (AllDigits(s.substr(17)) || s[17] == 'X');
    if (id_shape && IdNumber18Problem(s).empty()) out.keys[out.count++] = PackIdNumber(s);
    auto uscc = ParseUscc(s, field);
    if (uscc.ok()) out.keys[out.count++] = *uscc;
    if (out.count > 0) return out;
    if (id_shape) return Status::Invalid(f, "ID number " + Quoted(s) + ": " + IdNumber18Problem(s));
    return uscc.status();
  }
  if (s.size() == 15) {
    if (!AllDigits(s)) return Status::Invalid(f, Quoted(s) + ": a 15-character key must be digits");
    if (OldIdNumberShape(s)) out.keys[out.count++] = PackIdNumber(ConvertOldIdNumber(s));
    if (RegNoHolds(s)) out.keys[out.count++] = PackRegNo(s);
    if (out.count == 0)
      return Status::Invalid(f,
                             Quoted(s) +
                                 " is neither an old ID number (digits 7-12 are not a date) nor a "
                                 "工商注册号 (the 15th digit should be " +
                                 RegNoCheckDigit(std::string_view(s).substr(0, 14)) + ")");
    return out;
  }
  return Status::Invalid(f, Quoted(s) + " has " + std::to_string(s.size()) +
                                " characters: a USCC or ID number has 18, an old ID number or "
                                "工商注册号 15");
}

std::string ConvertOldIdNumber(std::string_view fifteen) {
  std::string s(fifteen.substr(0, 6));
  s += "19";
  s += fifteen.substr(6);
  s.push_back(IdNumberCheckChar(s));
  return s;
}

size_t FormatKeyTo(const Key& key, char* out) {
  switch (key.type()) {
    case KeyType::kUscc: {
      uint64_t hi = key.hi, lo = key.lo;
      for (int i = 17; i >= 6; --i, lo >>= 5) out[i] = kUsccChars[lo & 31];
      for (int i = 5; i >= 0; --i, hi >>= 5) out[i] = kUsccChars[hi & 31];
      return 18;
    }
    case KeyType::kIdNumber: {
      const uint64_t check = key.lo % 11;
      uint64_t body = key.lo / 11;
      out[17] = check == 10 ? 'X' : static_cast<char>('0' + check);
      for (int i = 16; i >= 0; --i, body /= 10) out[i] = static_cast<char>('0' + body % 10);
      return 18;
    }
    case KeyType::kRegNo: {
      uint64_t v = key.lo;
      for (int i = 14; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
      return 15;
    }
    case KeyType::kNone:
      break;
  }
  return 0;
}

std::string FormatKey(const Key& key) {
  char buf[18];
  return std::string(buf, FormatKeyTo(key, buf));
}

}  // namespace credlist
