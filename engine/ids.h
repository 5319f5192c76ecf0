// Identifiers of credit subjects (DESIGN.md §2): validation, normalisation and exact packing.
//
//   统一社会信用代码 (USCC)  GB 32100-2015   18 chars over 0-9 A-Z without I O Z S V
//   公民身份号码            GB 11643-1999   18 chars (old 15-digit numbers are converted)
//   工商注册号              GS15-2006       15 digits, ISO 7064 MOD 11,10 check
//
// Every identifier is normalised first (trim, full-width to half-width, upper case) and then
// checked by its check character: a wrong check is an error, never a silent miss. A valid
// identifier packs exactly into a 128-bit Key, so the index compares integers and two subjects
// never share a key. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

enum class KeyType : uint8_t { kNone = 0, kUscc = 1, kIdNumber = 2, kRegNo = 3 };

// "uscc", "id_number", "reg_no".
std::string_view KeyTypeName(KeyType type);

// A packed identifier. The type sits in the top 4 bits of `hi`; the rest encodes the
// characters exactly (USCC: 18 x 5 bits; ID number: the 17 digits and check as one integer;
// 工商注册号: the 15 digits as one integer).
struct Key {
  uint64_t hi = 0;
  uint64_t lo = 0;

  KeyType type() const { return static_cast<KeyType>(hi >> 60); }
  bool empty() const { return hi == 0 && lo == 0; }
  friend bool operator==(const Key&, const Key&) = default;
};

// XXH3 of the key's 16 bytes. Avalanching: boost's tables use its bits as they are.
struct KeyHash {
  using is_avalanching = void;
  size_t operator()(const Key& k) const noexcept;
};

// Trims ASCII and ideographic spaces, maps full-width ASCII (U+FF01-U+FF5E) to half-width and
// lower to upper case, and drops inner spaces. Other bytes are kept as they are.
std::string NormalizeIdentifier(std::string_view raw);

// Each Parse* normalises `raw`, validates it and packs it. `field` names the input field in
// the error ("uscc", "id_number", "key", ...).
Result<Key> ParseUscc(std::string_view raw, std::string_view field = "uscc");
// 18 digits (the last may be X) or an old 15-digit number, which becomes its 18-digit form.
Result<Key> ParseIdNumber(std::string_view raw, std::string_view field = "id_number");
Result<Key> ParseRegNo(std::string_view raw, std::string_view field = "reg_no");

// The readings of a lookup key (API.md): an 18-char key is a USCC or an ID number; a 15-digit
// key is an old ID number when digits 7-12 are a date and a 工商注册号 when its check digit
// holds. Either way, both readings when both hold (the ID number first).
struct LookupKey {
  Key keys[2];
  int count = 0;
};
Result<LookupKey> ParseLookupKey(std::string_view raw, std::string_view field = "key");

// The canonical text of a key ("" for an empty key).
std::string FormatKey(const Key& key);
// Writes the canonical text into `out` (at least 18 bytes); returns its length.
size_t FormatKeyTo(const Key& key, char* out);

// The old 15-digit ID number as its 18-digit form (digits already checked).
std::string ConvertOldIdNumber(std::string_view fifteen);

// Check characters, exposed for the generator and the tests.
char UsccCheckChar(std::string_view first17);
char OrgCodeCheckChar(std::string_view first8);
char IdNumberCheckChar(std::string_view first17);
char RegNoCheckDigit(std::string_view first14);

}  // namespace credlist
