#include "loaders/encoding.h"

#include <errno.h>
#include <iconv.h>

#include <simdjson.h>
#include <algorithm>
#include <cstring>

namespace credlist {
namespace {

const iconv_t kNoIconv = reinterpret_cast<iconv_t>(-1);

size_t FirstNonAscii(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return i;
  return s.size();
}

uint64_t CountNewlines(std::string_view s) {
  return static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

// The length of a UTF-8 sequence by its lead byte; 0 for a byte that cannot lead one.
int SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// The bytes at the end of `s` that start a UTF-8 sequence the end cuts short (0-3 bytes).
size_t IncompleteUtf8Tail(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const int len = SequenceLength(c);
    return len > static_cast<int>(back) ? back : 0;
  }
  return 0;
}

Status BadSequence(std::string_view what, uint64_t line, uint64_t byte) {
  return Status::Invalid("", "line " + std::to_string(line) + " (byte " + std::to_string(byte) +
                                 "): " + std::string(what));
}

}  // namespace

std::string_view TextEncodingName(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8:
      return "UTF-8";
    case TextEncoding::kGb18030:
      return "GB18030";
    case TextEncoding::kUnknown:
      break;
  }
  return "unknown";
}

bool HasUtf8Bom(std::string_view data) { return data.starts_with(kUtf8Bom); }

std::string_view StripUtf8Bom(std::string_view data) {
  if (HasUtf8Bom(data)) data.remove_prefix(kUtf8Bom.size());
  return data;
}

size_t ValidUtf8Prefix(std::string_view data) {
  const auto* s = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    const int len = SequenceLength(c);
    if (len == 0 || i + len > n) return i;
    const unsigned char c1 = s[i + 1];
    // The second byte's range depends on the lead (no overlong forms, no surrogates, at most
    // U+10FFFF); the others are plain continuation bytes.
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (c1 < lo || c1 > hi) return i;
    for (int k = 2; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return n;
}

bool IsValidUtf8(std::string_view data) {
  return simdjson::validate_utf8(data.data(), data.size());
}

TextEncoding GuessEncoding(std::string_view data, bool at_end) {
  const size_t first = FirstNonAscii(data);
  if (first == data.size()) return at_end ? TextEncoding::kUtf8 : TextEncoding::kUnknown;
  const std::string_view window = data.substr(first, kDecideWindow);
  const bool window_is_rest = first + window.size() == data.size();
  if (window.size() < kDecideWindow && !at_end) return TextEncoding::kUnknown;
  const size_t valid = ValidUtf8Prefix(window);
  if (valid == window.size()) return TextEncoding::kUtf8;
  // A window that the input goes on after may cut the last character short.
  if (!(at_end && window_is_rest) && valid + IncompleteUtf8Tail(window) == window.size())
    return TextEncoding::kUtf8;
  return TextEncoding::kGb18030;
}

Result<std::string_view> DecodeToUtf8(std::string_view data, std::string* storage,
                                      TextEncoding* encoding) {
  const size_t bom = HasUtf8Bom(data) ? kUtf8Bom.size() : 0;
  const std::string_view text = data.substr(bom);
  const TextEncoding enc = bom ? TextEncoding::kUtf8 : GuessEncoding(text, /*at_end=*/true);
  if (encoding) *encoding = enc;
  if (enc == TextEncoding::kUtf8) {
    if (IsValidUtf8(text)) return text;
    const size_t bad = ValidUtf8Prefix(text);
    return BadSequence("not valid UTF-8 (the text before it is UTF-8)",
                       1 + CountNewlines(text.substr(0, bad)), bom + bad);
  }
  Gb18030ToUtf8 gb;
  storage->clear();
  storage->reserve(text.size() + text.size() / 2 + 16);
  Status s = gb.Feed(text, storage);
  if (s.ok()) s = gb.Finish();
  if (!s.ok()) {
    const uint64_t bad = std::min<uint64_t>(gb.offset(), text.size());
    return BadSequence("not valid GBK/GB18030 (nor UTF-8)", 1 + CountNewlines(text.substr(0, bad)),
                       bad);
  }
  return StripUtf8Bom(*storage);  // U+FEFF carried over into GB18030 is no content either
}

// ---------------------------------------------------------------------------------------------

Gb18030ToUtf8::Gb18030ToUtf8() : cd_(iconv_open("UTF-8", "GB18030")) {}

Gb18030ToUtf8::~Gb18030ToUtf8() {
  if (static_cast<iconv_t>(cd_) != kNoIconv) iconv_close(static_cast<iconv_t>(cd_));
}

Gb18030ToUtf8::Gb18030ToUtf8(Gb18030ToUtf8&& other) noexcept
    : cd_(other.cd_), carry_len_(other.carry_len_), offset_(other.offset_) {
  std::memcpy(carry_, other.carry_, sizeof carry_);
  other.cd_ = kNoIconv;
}

Gb18030ToUtf8& Gb18030ToUtf8::operator=(Gb18030ToUtf8&& other) noexcept {
  if (this != &other) {
    if (static_cast<iconv_t>(cd_) != kNoIconv) iconv_close(static_cast<iconv_t>(cd_));
    cd_ = other.cd_;
    carry_len_ = other.carry_len_;
    offset_ = other.offset_;
    std::memcpy(carry_, other.carry_, sizeof carry_);
    other.cd_ = kNoIconv;
  }
  return *this;
}

size_t Gb18030ToUtf8::Convert(std::string_view in, std::string* out, Status* status) {
  auto cd = static_cast<iconv_t>(cd_);
  char* inp = const_cast<char*>(in.data());  // iconv's signature; it does not write the input
  size_t inleft = in.size();
  while (inleft > 0) {
    // A GB18030 character of 2 bytes becomes at most 3 of UTF-8, one of 4 at most 4.
    const size_t old = out->size();
    out->resize(old + inleft + inleft / 2 + 16);
    char* outp = out->data() + old;
    size_t outleft = out->size() - old;
    const size_t r = iconv(cd, &inp, &inleft, &outp, &outleft);
    const int err = errno;
    out->resize(static_cast<size_t>(outp - out->data()));
    if (r != static_cast<size_t>(-1)) break;
    if (err == E2BIG) continue;
    if (err == EILSEQ) {
      *status = Status::Invalid("", "byte " + std::to_string(offset_ + (in.size() - inleft)) +
                                        " is not valid GBK/GB18030");
    }
    break;  // EINVAL: a character cut short at the end, for the next chunk
  }
  return in.size() - inleft;
}

Status Gb18030ToUtf8::Feed(std::string_view in, std::string* out) {
  if (static_cast<iconv_t>(cd_) == kNoIconv)
    return Status::Io("iconv cannot convert GB18030 to UTF-8 on this system");
  Status status;
  if (carry_len_ > 0) {
    // Complete the character split by the chunk boundary: at most 4 bytes long, so 8 more
    // bytes always finish it.
    char tmp[sizeof carry_ + 8];
    const size_t take = std::min<size_t>(8, in.size());
    std::memcpy(tmp, carry_, carry_len_);
    std::memcpy(tmp + carry_len_, in.data(), take);
    const size_t total = carry_len_ + take;
    const size_t used = Convert(std::string_view(tmp, total), out, &status);
    if (!status.ok()) {
      offset_ += used;
      return status;
    }
    if (used < carry_len_) {
      if (take < in.size() || total - used > sizeof carry_) {
        offset_ += used;
        return Status::Invalid("", "byte " + std::to_string(offset_) + " is not valid GBK/GB18030");
      }
      std::memmove(carry_, tmp + used, total - used);
      carry_len_ = total - used;
      offset_ += used;
      return Status::Ok();
    }
    in.remove_prefix(used - carry_len_);
    offset_ += used;
    carry_len_ = 0;
  }
  const size_t used = Convert(in, out, &status);
  offset_ += used;
  if (!status.ok()) return status;
  const size_t rest = in.size() - used;
  if (rest > sizeof carry_)
    return Status::Invalid("", "byte " + std::to_string(offset_) + " is not valid GBK/GB18030");
  std::memcpy(carry_, in.data() + used, rest);
  carry_len_ = rest;
  return Status::Ok();
}

Status Gb18030ToUtf8::Finish() {
  Status s;
  if (carry_len_ > 0)
    s = Status::Invalid(
        "", "the input ends inside a GBK/GB18030 character (byte " + std::to_string(offset_) + ")");
  if (static_cast<iconv_t>(cd_) != kNoIconv)
    iconv(static_cast<iconv_t>(cd_), nullptr, nullptr, nullptr, nullptr);
  carry_len_ = 0;
  if (s.ok()) offset_ = 0;
  return s;
}

// ---------------------------------------------------------------------------------------------

Status TextDecoder::Utf8Error(std::string_view chunk, size_t bad) const {
  return BadSequence("not valid UTF-8 (the text before it is UTF-8)",
                     1 + newlines_ + CountNewlines(chunk.substr(0, bad)),
                     bom_len_ + offset_ - utf8_carry_.size() + bad);
}

Status TextDecoder::FeedDecided(std::string_view in, std::string* out) {
  if (encoding_ == TextEncoding::kUtf8) {
    const size_t start = out->size();
    out->append(utf8_carry_);
    out->append(in);
    const std::string_view region(out->data() + start, out->size() - start);
    const size_t tail = IncompleteUtf8Tail(region);
    const std::string_view body = region.substr(0, region.size() - tail);
    if (!IsValidUtf8(body)) {
      error_ = Utf8Error(body, ValidUtf8Prefix(body));
      out->resize(start);
      return error_;
    }
    utf8_carry_.assign(region.substr(body.size()));
    out->resize(start + body.size());
  } else {
    if (gb_base_ == kNoBase) gb_base_ = offset_ - gb_.offset();
    const size_t start = out->size();
    if (Status s = gb_.Feed(in, out); !s.ok()) {
      const uint64_t bad = gb_base_ + gb_.offset();
      const uint64_t in_chunk = bad > offset_ ? std::min<uint64_t>(bad - offset_, in.size()) : 0;
      error_ = BadSequence("not valid GBK/GB18030 (nor UTF-8)",
                           1 + newlines_ + CountNewlines(in.substr(0, in_chunk)), bom_len_ + bad);
      return error_;
    }
    if (!gb_output_ && out->size() > start) {
      gb_output_ = true;
      // U+FEFF first in a GB18030 text (a BOM carried over by a conversion) is no content.
      if (gb_base_ == 0 && std::string_view(*out).substr(start).starts_with(kUtf8Bom))
        out->erase(start, kUtf8Bom.size());
    }
  }
  offset_ += in.size();
  newlines_ += CountNewlines(in);
  return Status::Ok();
}

Status TextDecoder::Feed(std::string_view in, std::string* out) {
  if (!error_.ok()) return error_;
  if (bom_checked_ && encoding_ != TextEncoding::kUnknown) return FeedDecided(in, out);
  pending_.append(in);
  if (!bom_checked_) {
    if (pending_.size() < kUtf8Bom.size() && kUtf8Bom.starts_with(pending_)) return Status::Ok();
    bom_checked_ = true;
    if (HasUtf8Bom(pending_)) {
      pending_.erase(0, kUtf8Bom.size());
      bom_len_ = kUtf8Bom.size();
      encoding_ = TextEncoding::kUtf8;
    }
  }
  if (encoding_ == TextEncoding::kUnknown) {
    encoding_ = GuessEncoding(pending_, /*at_end=*/false);
    if (encoding_ == TextEncoding::kUnknown) {
      // ASCII reads the same in both encodings: hand it on at once.
      const size_t ascii = FirstNonAscii(pending_);
      if (ascii > 0) {
        out->append(pending_, 0, ascii);
        offset_ += ascii;
        newlines_ += CountNewlines(std::string_view(pending_).substr(0, ascii));
        pending_.erase(0, ascii);
      }
      return Status::Ok();
    }
  }
  const std::string held = std::move(pending_);
  pending_.clear();
  return FeedDecided(held, out);
}

Status TextDecoder::Finish(std::string* out) {
  if (!error_.ok()) return error_;
  if (!bom_checked_ || encoding_ == TextEncoding::kUnknown) {
    bom_checked_ = true;
    if (HasUtf8Bom(pending_)) {
      pending_.erase(0, kUtf8Bom.size());
      bom_len_ = kUtf8Bom.size();
      encoding_ = TextEncoding::kUtf8;
    } else {
      encoding_ = GuessEncoding(pending_, /*at_end=*/true);
    }
    const std::string held = std::move(pending_);
    pending_.clear();
    if (Status s = FeedDecided(held, out); !s.ok()) return s;
  }
  if (encoding_ == TextEncoding::kUtf8 && !utf8_carry_.empty()) {
    error_ = BadSequence("the input ends inside a UTF-8 character", 1 + newlines_,
                         bom_len_ + offset_ - utf8_carry_.size());
    return error_;
  }
  if (encoding_ == TextEncoding::kGb18030) {
    const uint64_t bad = gb_base_ + gb_.offset();
    if (Status s = gb_.Finish(); !s.ok()) {
      error_ = BadSequence("the input ends inside a GBK/GB18030 character", 1 + newlines_,
                           bom_len_ + bad);
      return error_;
    }
  }
  return Status::Ok();
}

}  // namespace credlist
