#include "engine/ids.h"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (!IsDigit(c)) return false;
  return true;
}

uint64_t DigitsValue(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

constexpr uint64_t TypeBits(KeyType t) { return static_cast<uint64_t>(t) << 60; }

// The length of the UTF-8 sequence starting at s[i], or 0 when the bytes there are not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  const size_t n = c >= 0xC2 && c <= 0xDF   ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

// The number of characters of s as a person counts them: UTF-8 code points, a byte that is not
// UTF-8 counting as one. `…341L号` has 19, not 21.
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    const size_t len = Utf8Length(s, i);
    i += len == 0 ? 1 : len;
  }
  return n;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// What a spreadsheet does to a long number in a cell formatted as General or Number: it shows,
// and saves, 9.14403E+17; or it keeps 15 significant digits, so an 18-digit number ends in
// 000. Either way the digits are lost, and no check character can bring them back.
bool LooksScientific(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    return i > start;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i >= s.size() || s[i] != 'E') return false;  // normalised: upper case
  ++i;
  if (i < s.size() && s[i] == '+') ++i;  // a '-' is a separator, already dropped
  return digits() && i == s.size();
}
bool LooksRounded(std::string_view s) {
  return s.size() == 18 && AllDigits(s) && s.substr(15) == "000";
}
constexpr std::string_view kScientific =
    " is a number a spreadsheet shortened to scientific notation: its digits are lost; take "
    "the number from the original record (and format the column as text)";
constexpr std::string_view kRounded =
    " looks like a number a spreadsheet rounded to 15 significant digits (18 digits ending in "
    "000 that fail the check): its last digits are lost; take the number from the original "
    "record (and format the column as text)";

// A character of a value named in an error. One byte of a multi-byte character is not text:
// naming it would put invalid UTF-8 into the error (and into the JSON that carries it).
std::string CharacterAt(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x20 || c == 0x7F) return "a control character";
  const size_t len = Utf8Length(s, i);
  if (len == 0) return "a byte that is not UTF-8";
  return "'" + std::string(s.substr(i, len)) + "'";
}

// The province codes of GB/T 2260 that begin every ID number's address: 11-15, 21-23, 31-37,
// 41-46, 50-54, 61-65, 71, 81-83. A USCC starting 91, 92 or 93 (most companies) is never one.
bool IsProvinceCode(std::string_view two) {
  if (two.size() != 2 || !AllDigits(two)) return false;
  const int v = (two[0] - '0') * 10 + (two[1] - '0');
  return (v >= 11 && v <= 15) || (v >= 21 && v <= 23) || (v >= 31 && v <= 37) ||
         (v >= 41 && v <= 46) || (v >= 50 && v <= 54) || (v >= 61 && v <= 65) || v == 71 ||
         (v >= 81 && v <= 83);
}

// --- USCC ------------------------------------------------------------------------------------

// The first fault of a normalised text read as a USCC, in the order a person checks one:
// length, alphabet, structure (GB 32100 4.1: authority, category, division), then the two
// check characters (the organisation code's first: it says which part is wrong).
enum class UsccFault {
  kNone,
  kLength,     // not 18 characters
  kCharacter,  // a character outside the 31 symbols, at `at`
  kAuthority,  // position 1 not 1-9, A, N or Y
  kCategory,   // position 2 not 1-9
  kDivision,   // a non-digit in positions 3-8, at `at`
  kOrgCheck,   // positions 9-17 fail GB 11714
  kCheck,      // position 18 does not match positions 1-17
};
struct UsccFinding {
  UsccFault fault = UsccFault::kNone;
  size_t at = 0;  // byte offset of the character concerned
};

// Whether a fault leaves the code packable (18 characters of the alphabet): an exception.
bool Packable(UsccFault f) { return f != UsccFault::kLength && f != UsccFault::kCharacter; }
// Whether the code has the structure of a USCC (only a check character fails).
bool Structured(UsccFault f) {
  return f == UsccFault::kNone || f == UsccFault::kOrgCheck || f == UsccFault::kCheck;
}

UsccFinding FindUsccFault(std::string_view s) {
  if (s.size() != 18 && CharCount(s) != 18) return {UsccFault::kLength, 0};
  for (size_t i = 0; i < s.size(); ++i) {
    if (UsccValue(s[i]) >= 0) continue;
    // 18 bytes with a multi-byte character in them are fewer than 18 characters.
    if (CharCount(s) != 18) return {UsccFault::kLength, 0};
    return {UsccFault::kCharacter, i};
  }
  if (!((s[0] >= '1' && s[0] <= '9') || s[0] == 'A' || s[0] == 'N' || s[0] == 'Y'))
    return {UsccFault::kAuthority, 0};
  if (!(s[1] >= '1' && s[1] <= '9')) return {UsccFault::kCategory, 1};
  for (size_t i = 2; i < 8; ++i)
    if (!IsDigit(s[i])) return {UsccFault::kDivision, i};
  if (s[16] != OrgCodeCheckChar(s.substr(8, 8))) return {UsccFault::kOrgCheck, 16};
  if (s[17] != UsccCheckChar(s.substr(0, 17))) return {UsccFault::kCheck, 17};
  return {};
}

// What follows "USCC 'text'" in the error of a finding. Never the expected check character.
std::string UsccFaultReason(std::string_view s, UsccFinding f) {
  std::string at;
  if (f.fault == UsccFault::kCharacter || f.fault == UsccFault::kAuthority ||
      f.fault == UsccFault::kCategory || f.fault == UsccFault::kDivision)
    at = " has " + CharacterAt(s, f.at) + " at position " +
         std::to_string(CharCount(s.substr(0, f.at)) + 1);
  switch (f.fault) {
    case UsccFault::kLength:
      if (LooksScientific(s)) return std::string(kScientific);
      return " must have 18 characters, has " + std::to_string(CharCount(s));
    case UsccFault::kCharacter:
      return at + " (allowed: 0-9 and A-Z without I, O, S, V, Z)";
    case UsccFault::kAuthority:
      return at + ", the registration authority: it must be 1-9, A, N or Y";
    case UsccFault::kCategory:
      return at + ", the category: it must be a digit 1-9";
    case UsccFault::kDivision:
      return at + ", in the administrative division (positions 3-8): it must be digits";
    case UsccFault::kOrgCheck:
    case UsccFault::kCheck:
      if (LooksRounded(s)) return std::string(kRounded);
      if (f.fault == UsccFault::kOrgCheck)
        return " fails its check: its organisation code (positions 9-17) does not pass the GB "
               "11714 check, so one of those characters is wrong; take the code from the "
               "business licence";
      return " fails its check: its check character (position 18) does not match positions "
             "1-17, so a character is wrong or two are swapped; take the code from the "
             "business licence";
    case UsccFault::kNone:
      break;
  }
  return "";
}

// 18 x 5 bits: the first 6 characters in hi, the last 12 in lo (60 bits). Any 18 characters of
// the alphabet pack, a known exception included.
Key PackUscc(std::string_view s) {
  Key k;
  for (size_t i = 0; i < 6; ++i) k.hi = k.hi << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  for (size_t i = 6; i < 18; ++i) k.lo = k.lo << 5 | static_cast<uint64_t>(UsccValue(s[i]));
  k.hi |= TypeBits(KeyType::kUscc);
  return k;
}

// --- ID numbers ------------------------------------------------------------------------------

// Why 8 digits are not a real birth date, or nullptr when they are one.
const char* BirthDateProblem(std::string_view yyyymmdd) {
  const int y = static_cast<int>(DigitsValue(yyyymmdd.substr(0, 4)));
  const int m = static_cast<int>(DigitsValue(yyyymmdd.substr(4, 2)));
  const int d = static_cast<int>(DigitsValue(yyyymmdd.substr(6, 2)));
  if (!IsValidCivil(y, m, d)) return "there is no such day";
  if (y < 1850) return "before 1850";
  if (DayFromCivil(y, m, d) > Today()) return "in the future";
  return nullptr;
}
bool HasBirthDate(std::string_view yyyymmdd) { return BirthDateProblem(yyyymmdd) == nullptr; }

enum class IdFault { kNone, kCharacters, kBirthDate, kCheck };

// The first fault of an 18-character ID number.
IdFault FindId18Fault(std::string_view s) {
  if (!AllDigits(s.substr(0, 17)) || !(IsDigit(s[17]) || s[17] == 'X')) return IdFault::kCharacters;
  if (!HasBirthDate(s.substr(6, 8))) return IdFault::kBirthDate;
  if (s[17] != IdNumberCheckChar(s.substr(0, 17))) return IdFault::kCheck;
  return IdFault::kNone;
}

// What follows "ID number 'text'" in the error. Never the expected check character.
std::string Id18FaultReason(std::string_view s, IdFault f) {
  switch (f) {
    case IdFault::kCharacters:
      return ": must be 17 digits and a digit or X";
    case IdFault::kBirthDate:
      return std::string(": digits 7-14 are not a real birth date (") +
             BirthDateProblem(s.substr(6, 8)) + ")";
    case IdFault::kCheck:
      if (LooksRounded(s)) return std::string(kRounded);
      return " fails its check: its check character (position 18) does not match digits 1-17, "
             "so a digit is wrong or two are swapped; take the number from the ID card or the "
             "original record";
    case IdFault::kNone:
      break;
  }
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

// The wrong-length error of a value that is none of the lengths its kind has.
std::string LengthReason(std::string_view s, std::string_view must) {
  if (LooksScientific(s)) return std::string(kScientific);
  return std::string(must) + std::to_string(CharCount(s));
}

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

// The number of bytes of a separator at raw[i] (NormalizeIdentifier), or 0.
size_t SeparatorLength(std::string_view raw, size_t i) {
  const auto c = static_cast<unsigned char>(raw[i]);
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == '-')
    return 1;
  if (c < 0x80) return 0;
  const auto b1 = i + 1 < raw.size() ? static_cast<unsigned char>(raw[i + 1]) : 0;
  if (c == 0xC2) return b1 == 0xA0 || b1 == 0xAD ? 2 : 0;  // U+00A0 no-break space, soft hyphen
  if (i + 2 >= raw.size()) return 0;
  const auto b2 = static_cast<unsigned char>(raw[i + 2]);
  bool sep = false;
  if (c == 0xE2 && b1 == 0x80)  // U+2000-U+200B spaces, U+2010-U+2015 hyphens and dashes, U+202F
    sep = b2 <= 0x8B || (b2 >= 0x90 && b2 <= 0x95) || b2 == 0xAF;
  else if (c == 0xE2 && b1 == 0x81)  // U+205F medium mathematical space, U+2060 word joiner
    sep = b2 == 0x9F || b2 == 0xA0;
  else if (c == 0xE2 && b1 == 0x88)  // U+2212 minus sign
    sep = b2 == 0x92;
  else if (c == 0xE3 && b1 == 0x80)  // U+3000 ideographic space
    sep = b2 == 0x80;
  else if (c == 0xEF && b1 == 0xB9)  // U+FE58 small em dash, U+FE63 small hyphen-minus
    sep = b2 == 0x98 || b2 == 0xA3;
  else if (c == 0xEF && b1 == 0xBB)  // U+FEFF zero-width no-break space (a BOM)
    sep = b2 == 0xBF;
  else if (c == 0xEF && b1 == 0xBC)  // U+FF0D full-width hyphen-minus
    sep = b2 == 0x8D;
  return sep ? 3 : 0;
}

// Appends the normalised form of raw to *out (an std::string or a FixedBuffer).
template <typename Out>
void NormalizeTo(std::string_view raw, Out* out) {
  for (size_t i = 0; i < raw.size();) {
    if (const size_t sep = SeparatorLength(raw, i); sep > 0) {
      i += sep;
      continue;
    }
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
  const UsccFinding found = FindUsccFault(s);
  if (found.fault == UsccFault::kNone) return PackUscc(s);
  if (Packable(found.fault)) {
    const Key k = PackUscc(s);
    if (InstalledUsccExceptions().Contains(k)) return k;
  }
  return Status::Invalid(field, "USCC " + Quoted(s) + UsccFaultReason(s, found));
}

bool UsccConforms(const Key& key) {
  if (key.type() != KeyType::kUscc) return false;
  char text[18];
  FormatKeyTo(key, text);
  return FindUsccFault(std::string_view(text, 18)).fault == UsccFault::kNone;
}

Result<Key> ParseIdNumber(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  const size_t chars = CharCount(s);
  if (chars == 15) {
    if (!AllDigits(s)) return Status::Invalid(f, "ID number " + Quoted(s) + " must be 15 digits");
    if (!OldIdNumberShape(s))
      return Status::Invalid(f, "ID number " + Quoted(s) +
                                    ": digits 7-12 are not a real birth date (" +
                                    BirthDateProblem("19" + std::string(s.substr(6, 6))) + ")");
    return PackIdNumber(ConvertOldIdNumber(s));
  }
  if (chars != 18)
    return Status::Invalid(f, "ID number " + Quoted(s) +
                                  LengthReason(s, " must have 18 characters (or 15 digits), has "));
  const IdFault fault = s.size() == 18 ? FindId18Fault(s) : IdFault::kCharacters;
  if (fault != IdFault::kNone)
    return Status::Invalid(f, "ID number " + Quoted(s) + Id18FaultReason(s, fault));
  return PackIdNumber(s);
}

Result<Key> ParseRegNo(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  if (s.size() != 15 || !AllDigits(s)) {
    const size_t chars = CharCount(s);
    return Status::Invalid(
        f, "工商注册号 " + Quoted(s) +
               (chars == 15 ? std::string(" must be 15 digits")
                            : LengthReason(s, " must be 15 digits, has ") + " characters"));
  }
  if (s[14] != RegNoCheckDigit(s.substr(0, 14)))
    return Status::Invalid(f, "工商注册号 " + Quoted(s) +
                                  " fails its check: its check digit (position 15) does not "
                                  "match digits 1-14, so a digit is wrong or two are swapped; "
                                  "take the number from the business licence");
  return PackRegNo(s);
}

Result<LookupKey> ParseLookupKey(std::string_view raw, std::string_view field) {
  const Normalized norm(raw);
  const std::string_view s = norm.view();
  const std::string_view f = field;
  LookupKey out;
  if (s.empty()) return Status::Invalid(f, "is empty");
  const size_t chars = CharCount(s);
  if (chars == 18) {
    // An 18-character key is an ID number when its first 17 characters are digits, its birth
    // date is real and its check holds, and a USCC when the USCC checks hold (or it is a known
    // exception). Both readings can hold at once (an all-digit USCC whose division ends in 19
    // or 20 and whose organisation code starts with a date: 911101199001012379), and then both
    // are looked up, as for a 15-digit key: taking only one would make the other subject a
    // silent miss.
    const IdFault id_fault = s.size() == 18 ? FindId18Fault(s) : IdFault::kCharacters;
    const bool id_shape = id_fault != IdFault::kCharacters;
    if (id_fault == IdFault::kNone) out.keys[out.count++] = PackIdNumber(s);
    const UsccFinding uscc = FindUsccFault(s);
    if (uscc.fault == UsccFault::kNone ||
        (Packable(uscc.fault) && InstalledUsccExceptions().Contains(PackUscc(s))))
      out.keys[out.count++] = PackUscc(s);
    if (out.count > 0) return out;

    // No reading holds: the error is about the reading the key most plausibly is (ids.h).
    if (LooksRounded(s) && (id_fault == IdFault::kCheck || Structured(uscc.fault)))
      return Status::Invalid(f, Quoted(s) + std::string(kRounded));
    const std::string id_error =
        id_shape ? "ID number " + Quoted(s) + Id18FaultReason(s, id_fault) : "";
    const std::string uscc_error = "USCC " + Quoted(s) + UsccFaultReason(s, uscc);
    if (!id_shape) return Status::Invalid(f, uscc_error);
    if (!Structured(uscc.fault)) return Status::Invalid(f, id_error);
    if (!IsProvinceCode(s.substr(0, 2))) return Status::Invalid(f, uscc_error);
    if (id_fault == IdFault::kCheck) return Status::Invalid(f, id_error);
    if (uscc.fault == UsccFault::kCheck) return Status::Invalid(f, uscc_error);
    return Status::Invalid(f, Quoted(s) + " is neither an ID number (" +
                                  Id18FaultReason(s, id_fault).substr(2) +
                                  ") nor a USCC (its organisation code, positions 9-17, fails its "
                                  "GB 11714 check)");
  }
  if (chars == 15) {
    if (!AllDigits(s)) return Status::Invalid(f, Quoted(s) + ": a 15-character key must be digits");
    if (OldIdNumberShape(s)) out.keys[out.count++] = PackIdNumber(ConvertOldIdNumber(s));
    if (RegNoHolds(s)) out.keys[out.count++] = PackRegNo(s);
    if (out.count == 0)
      return Status::Invalid(f, Quoted(s) +
                                    " is neither an old ID number (digits 7-12 are not a date) nor "
                                    "a 工商注册号 (its check digit, position 15, does not match "
                                    "digits 1-14)");
    return out;
  }
  if (LooksScientific(s)) return Status::Invalid(f, Quoted(s) + std::string(kScientific));
  return Status::Invalid(f, Quoted(s) + " has " + std::to_string(chars) +
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

// --- Known non-conforming USCCs ----------------------------------------------------------------

Result<UsccExceptions> UsccExceptions::Parse(std::string_view text, std::string_view source) {
  UsccExceptions out;
  int line_no = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    line = line.substr(0, line.find('#'));  // '#' is no character of a code
    const std::string code = NormalizeIdentifier(line);
    if (code.empty()) continue;
    const UsccFinding found = FindUsccFault(code);
    const std::string where = std::string(source) + " line " + std::to_string(line_no) + ": ";
    if (found.fault == UsccFault::kNone)
      return Status::Invalid(kUsccExceptionsFile,
                             where + Quoted(code) + " meets GB 32100: it needs no exception");
    if (!Packable(found.fault))
      return Status::Invalid(kUsccExceptionsFile,
                             where + "USCC " + Quoted(code) + UsccFaultReason(code, found));
    out.keys_.push_back(PackUscc(code));
    if (end == text.size()) break;
  }
  std::sort(out.keys_.begin(), out.keys_.end(),
            [](const Key& a, const Key& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; });
  out.keys_.erase(std::unique(out.keys_.begin(), out.keys_.end()), out.keys_.end());
  return out;
}

Result<UsccExceptions> UsccExceptions::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Io(path + ": cannot be read");
  return Parse(text.str(), path);
}

const UsccExceptions& UsccExceptions::Shipped() {
  static const UsccExceptions kShipped = [] {
    // data/uscc_exceptions.txt of the source tree, as a string literal (engine/CMakeLists.txt).
    static constexpr std::string_view kText =
#include "uscc_exceptions_shipped.inc"
        ;
    auto parsed = Parse(kText, "data/uscc_exceptions.txt (built in)");
    // The test ShippedExceptionsFileParses keeps the file valid; an invalid one is a build bug.
    return parsed.ok() ? std::move(*parsed) : UsccExceptions();
  }();
  return kShipped;
}

void UsccExceptions::Merge(const UsccExceptions& other) {
  keys_.insert(keys_.end(), other.keys_.begin(), other.keys_.end());
  std::sort(keys_.begin(), keys_.end(),
            [](const Key& a, const Key& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; });
  keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
}

bool UsccExceptions::Contains(const Key& key) const {
  return std::binary_search(keys_.begin(), keys_.end(), key, [](const Key& a, const Key& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  });
}

namespace {

std::atomic<const UsccExceptions*> g_installed{nullptr};

}  // namespace

const UsccExceptions& InstalledUsccExceptions() {
  const UsccExceptions* set = g_installed.load(std::memory_order_acquire);
  return set != nullptr ? *set : UsccExceptions::Shipped();
}

void InstallUsccExceptions(UsccExceptions exceptions) {
  // Every set installed is kept: a parser on another thread may still be reading the old one.
  static std::mutex mu;
  static std::vector<std::unique_ptr<const UsccExceptions>> kept;
  std::lock_guard lock(mu);
  kept.push_back(std::make_unique<const UsccExceptions>(std::move(exceptions)));
  g_installed.store(kept.back().get(), std::memory_order_release);
}

Status InstallUsccExceptionsOfDataDir(const std::string& data_dir, std::string* summary) {
  UsccExceptions set = UsccExceptions::Shipped();
  const std::string path = (std::filesystem::path(data_dir) / kUsccExceptionsFile).string();
  std::error_code ec;
  const bool have_file = std::filesystem::is_regular_file(path, ec);
  if (have_file) {
    auto local = UsccExceptions::ReadFile(path);
    if (!local.ok()) return local.status();
    set.Merge(*local);
  }
  if (summary != nullptr)
    *summary = std::to_string(set.size()) + " known non-conforming USCCs (built in" +
               (have_file ? " and " + path : std::string()) + ")";
  InstallUsccExceptions(std::move(set));
  return Status::Ok();
}

}  // namespace credlist
