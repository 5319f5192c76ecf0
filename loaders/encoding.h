// Text encodings of input files: UTF-8 (with or without a BOM) and GBK/GB18030 (what Excel
// writes for "CSV" on a Chinese Windows), always handed on as UTF-8.
//
// The encoding is decided once per input, on its first non-ASCII bytes: a UTF-8 BOM means
// UTF-8; otherwise the first kDecideWindow bytes from the first non-ASCII byte on (or all of
// them, at the end of the input) are UTF-8 if they are valid UTF-8, and GB18030 (a superset
// of GBK) if not. Text in Chinese in one encoding is practically never valid in the other, so
// a window of a few hundred bytes decides. Once decided, every later byte must be valid in
// that encoding: a UTF-8 file with one broken byte is an error naming its line and byte, not
// silently read as GBK.
//
// Pure ASCII input is UTF-8. GB18030 is decoded with glibc iconv; a U+FEFF at its very start
// (a BOM carried through a conversion) is dropped like a UTF-8 BOM.
//
// Thread-safety: the free functions are pure. Gb18030ToUtf8 and TextDecoder are stateful
// objects for one stream each, used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

enum class TextEncoding : uint8_t { kUnknown, kUtf8, kGb18030 };

// "UTF-8", "GB18030", "unknown".
std::string_view TextEncodingName(TextEncoding encoding);

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Bytes from the first non-ASCII byte that decide the encoding of an input.
inline constexpr size_t kDecideWindow = 256;

bool HasUtf8Bom(std::string_view data);
std::string_view StripUtf8Bom(std::string_view data);

// The length of the longest prefix of `data` that is valid UTF-8 (data.size() when all of it
// is). An incomplete sequence at the very end is not part of the valid prefix.
size_t ValidUtf8Prefix(std::string_view data);
bool IsValidUtf8(std::string_view data);

// Decides the encoding of `data`, the start of an input without its BOM. kUnknown when there
// is not enough to decide yet (only ASCII so far, or fewer than kDecideWindow bytes from the
// first non-ASCII one) and `at_end` is false; with `at_end`, never kUnknown.
TextEncoding GuessEncoding(std::string_view data, bool at_end);

// The whole input as UTF-8: a BOM is stripped; UTF-8 text is returned as a view into `data`
// (no copy); GB18030 text is converted into `*storage` and a view of it returned. `*encoding`,
// when given, receives the encoding found. Errors name the line and byte of a bad sequence.
Result<std::string_view> DecodeToUtf8(std::string_view data, std::string* storage,
                                      TextEncoding* encoding = nullptr);

// A streaming GB18030 (GBK) to UTF-8 converter: a character split between two chunks is kept
// and completed by the next one.
class Gb18030ToUtf8 {
 public:
  Gb18030ToUtf8();
  ~Gb18030ToUtf8();
  Gb18030ToUtf8(Gb18030ToUtf8&& other) noexcept;
  Gb18030ToUtf8& operator=(Gb18030ToUtf8&& other) noexcept;

  // Appends the UTF-8 of `in` to `*out`. An invalid byte sequence is an error naming its byte
  // offset in the whole stream; the converter is then unusable.
  Status Feed(std::string_view in, std::string* out);
  // Ends the stream: an error when it ended inside a character. Resets the converter.
  Status Finish();

  // Bytes of input converted so far (the next byte's offset in the stream).
  uint64_t offset() const { return offset_; }

 private:
  // Converts as much of `in` as forms whole characters; returns the bytes consumed, or sets
  // `*status` on an invalid sequence.
  size_t Convert(std::string_view in, std::string* out, Status* status);

  void* cd_;  // iconv_t
  char carry_[4];
  size_t carry_len_ = 0;
  uint64_t offset_ = 0;
};

// A streaming decoder for a whole input arriving in chunks: strips a BOM, decides the
// encoding (see above; it holds back at most kDecideWindow bytes until it can), validates
// UTF-8 or converts GB18030, and appends UTF-8 to the caller's buffer. Memory is bounded by the
// chunk size.
class TextDecoder {
 public:
  TextDecoder() = default;

  // Appends the UTF-8 text of `in` to `*out` (possibly less, held back until the encoding is
  // known or a split character is complete). After an error, every call returns that error.
  Status Feed(std::string_view in, std::string* out);
  // Ends the input: flushes what was held back. An error when the input ended inside a
  // character.
  Status Finish(std::string* out);

  TextEncoding encoding() const { return encoding_; }

 private:
  Status FeedDecided(std::string_view in, std::string* out);
  Status Utf8Error(std::string_view chunk, size_t bad) const;

  static constexpr uint64_t kNoBase = ~uint64_t{0};

  bool bom_checked_ = false;
  uint64_t bom_len_ = 0;
  TextEncoding encoding_ = TextEncoding::kUnknown;
  std::string pending_;     // held back: a possible BOM, or undecided bytes
  std::string utf8_carry_;  // an incomplete UTF-8 sequence at the end of the last chunk
  Gb18030ToUtf8 gb_;
  uint64_t gb_base_ = kNoBase;  // the stream offset of the first byte given to gb_
  bool gb_output_ = false;      // gb_ has produced output
  uint64_t offset_ = 0;         // input bytes (after the BOM) handed to FeedDecided
  uint64_t newlines_ = 0;       // '\n' bytes among them: the line of an error
  Status error_;
};

}  // namespace credlist
