// Identifiers of credit subjects (DESIGN.md §2): validation, normalisation and exact packing.
//
//   统一社会信用代码 (USCC)  GB 32100-2015   18 chars over 0-9 A-Z without I O Z S V
//   公民身份号码            GB 11643-1999   18 chars (old 15-digit numbers are converted)
//   工商注册号              GS15-2006       15 digits, ISO 7064 MOD 11,10 check
//
// Every identifier is normalised first (separators dropped, full-width to half-width, upper
// case) and then checked: a USCC's structure and both its check characters, an ID number's
// birth date and check character, a 工商注册号's check digit. A wrong check is an error, never a
// silent miss, and an error never suggests a check character: a clerk who "fixes" the last
// character of a mistyped number finds another subject. A real USCC that fails the standard's
// checks is accepted when listed as a known exception (engine/uscc_exceptions.h).
// A valid identifier packs exactly into a 128-bit Key, so the index compares integers and two
// subjects never share a key. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Drops separators anywhere (ASCII spaces, tabs and line ends; U+00A0, U+3000 and the other
// Unicode spaces; zero-width spaces and U+FEFF; the ASCII hyphen, its full-width form and the
// Unicode hyphens, dashes and minus signs of U+2010-U+2015, U+2212, U+FE58, U+FE63), maps
// full-width ASCII (U+FF01-U+FF5E) to half-width and lower to upper case. Other bytes are kept
// as they are. `9111-0000-6000-3734-1L` is `91110000600037341L`.
std::string NormalizeIdentifier(std::string_view raw);

// Each Parse* normalises `raw`, validates it and packs it. `field` names the input field in
// the error ("uscc", "id_number", "key", ...). Lengths and positions in errors count
// characters, not bytes. A value that looks damaged by a spreadsheet (scientific notation, or 18
// digits ending in 000 that do not check: rounded to 15 significant digits) is said to be so.
Result<Key> ParseUscc(std::string_view raw, std::string_view field = "uscc");
// 18 digits (the last may be X) or an old 15-digit number, which becomes its 18-digit form.
Result<Key> ParseIdNumber(std::string_view raw, std::string_view field = "id_number");
Result<Key> ParseRegNo(std::string_view raw, std::string_view field = "reg_no");

// The readings of a lookup key (API.md): an 18-char key is a USCC or an ID number; a 15-digit
// key is an old ID number when digits 7-12 are a date and a 工商注册号 when its check digit
// holds. Either way, both readings when both hold (the ID number first). When no reading
// holds, the error is about the reading the key most plausibly is (docs/formats.md):
//   1. a key that has the shape of only one kind is that kind;
//   2. 18 digits whose first two are no province (GB/T 2260) are a USCC (91..., 92..., 93...);
//   3. otherwise a real birth date in digits 7-14 makes it an ID number, and an organisation
//      code (positions 9-17) that checks makes it a USCC;
//   4. otherwise the error names both readings.
struct LookupKey {
  Key keys[2];
  int count = 0;
};
Result<LookupKey> ParseLookupKey(std::string_view raw, std::string_view field = "key");

// Whether a USCC key meets GB 32100 (structure and both check characters); false for a code
// accepted only as a known exception, and for keys of other types.
bool UsccConforms(const Key& key);

// The canonical text of a key ("" for an empty key).
std::string FormatKey(const Key& key);
// Writes the canonical text into `out` (at least 18 bytes); returns its length.
size_t FormatKeyTo(const Key& key, char* out);

// The old 15-digit ID number as its 18-digit form (digits already checked).
std::string ConvertOldIdNumber(std::string_view fifteen);

// Known non-conforming USCCs: real codes issued before GB 32100 was enforced that fail its
// checks (some of Xiamen's, issued in 2015). A city must still list and find those companies,
// so a code listed here is accepted as it is by ParseUscc and ParseLookupKey, hence everywhere
// (loads, checks, life-cycle submissions, screening), and UsccConforms says false for it.
//
// The list is the source tree's data/uscc_exceptions.txt, compiled into the binary, plus a
// data directory's own uscc_exceptions.txt when present (the credit office's additions; see
// InstallUsccExceptionsOfDataDir). A file is UTF-8 text, one code a line (normalised as any
// identifier), '#' starting a comment to the line's end; blank lines are skipped. A code has
// 18 characters of the USCC alphabet (so it packs into a Key) and fails the standard's checks
// (a conforming code needs no exception, and listing one is an error).
class UsccExceptions {
 public:
  // `source` names the text in errors ("data/uscc_exceptions.txt"); errors give its line.
  static Result<UsccExceptions> Parse(std::string_view text, std::string_view source);
  static Result<UsccExceptions> ReadFile(const std::string& path);
  // The list compiled in from data/uscc_exceptions.txt.
  static const UsccExceptions& Shipped();

  void Merge(const UsccExceptions& other);
  bool Contains(const Key& key) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<Key> keys_;  // sorted, distinct
};

inline constexpr char kUsccExceptionsFile[] = "uscc_exceptions.txt";

// The exceptions that ParseUscc accepts: Shipped() until others are installed. Installing is
// for the start of a process (and a test's setup); readers on other threads see the old set
// or the new one, and every set installed stays alive to the end of the process.
const UsccExceptions& InstalledUsccExceptions();
void InstallUsccExceptions(UsccExceptions exceptions);

// Installs Shipped() plus DATA_DIR/uscc_exceptions.txt when that file exists (a bad file is an
// error and installs nothing). Every command that opens a data directory calls it first, so
// that loads, checks and restarts agree. *summary, when given: what was installed, from where.
Status InstallUsccExceptionsOfDataDir(const std::string& data_dir, std::string* summary = nullptr);

// Check characters, exposed for the generator and the tests: never for an error message.
char UsccCheckChar(std::string_view first17);
char OrgCodeCheckChar(std::string_view first8);
char IdNumberCheckChar(std::string_view first17);
char RegNoCheckDigit(std::string_view first14);

}  // namespace credlist
