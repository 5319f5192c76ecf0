#include "server/json_body.h"

#include <vector>

namespace credlist {
namespace {

constexpr size_t kMaxDepth = 1024;  // simdjson's DOM default

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte as an error message shows it: 'x' when printable ASCII, else its code.
std::string Shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kDigits[u >> 4] + kDigits[u & 15];
}

// One pass over the text; each step either advances or records the first error.
class Walker {
 public:
  explicit Walker(std::string_view t) : t_(t) {}

  std::optional<JsonSyntaxError> Run() {
    if (t_.empty()) return JsonSyntaxError{0, "the body is empty, expected a JSON value"};
    SkipSpace();
    if (!Value()) return error_;
    SkipSpace();
    if (i_ < t_.size()) {
      Fail("unexpected " + Shown(t_[i_]) + " after the JSON value");
      return error_;
    }
    return std::nullopt;
  }

 private:
  // The value at i_, containers included, without recursion (a body may nest deeply).
  bool Value() {
    std::vector<char> open;  // '{' or '['
    for (;;) {
      // A value.
      if (i_ >= t_.size()) return Cut("a value");
      const char c = t_[i_];
      if (c == '{' || c == '[') {
        if (open.size() >= kMaxDepth)
          return Fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
        open.push_back(c);
        ++i_;
        SkipSpace();
        if (i_ >= t_.size()) return Cut(c == '{' ? "a member name or '}'" : "a value or ']'");
        if (t_[i_] == (c == '{' ? '}' : ']')) {
          ++i_;
          open.pop_back();
        } else if (c == '{') {
          if (!Key()) return false;
          continue;  // the member's value
        } else {
          continue;  // the first element
        }
      } else if (!Scalar()) {
        return false;
      }
      // After a value: a separator, the end of its container, or the end of the text.
      for (;;) {
        if (open.empty()) return true;
        SkipSpace();
        const char close = open.back() == '{' ? '}' : ']';
        if (i_ >= t_.size()) return Cut(std::string("',' or '") + close + "'");
        if (t_[i_] == close) {
          ++i_;
          open.pop_back();
          continue;
        }
        if (t_[i_] != ',')
          return Fail(std::string("expected ',' or '") + close + "', found " + Shown(t_[i_]));
        ++i_;
        SkipSpace();
        if (i_ < t_.size() && (t_[i_] == '}' || t_[i_] == ']'))
          return Fail("a trailing ',' before " + Shown(t_[i_]) + ": expected " +
                      (open.back() == '{' ? "a member name" : "a value"));
        if (open.back() == '{' && !Key()) return false;
        break;  // the next value
      }
    }
  }

  // A member name and its ':', leaving i_ at the value.
  bool Key() {
    if (i_ >= t_.size()) return Cut("a member name");
    if (t_[i_] != '"') return Fail("expected a member name (a string), found " + Shown(t_[i_]));
    if (!String()) return false;
    SkipSpace();
    if (i_ >= t_.size()) return Cut("':'");
    if (t_[i_] != ':') return Fail("expected ':' after the member name, found " + Shown(t_[i_]));
    ++i_;
    SkipSpace();
    return true;
  }

  bool Scalar() {
    const char c = t_[i_];
    if (c == '"') return String();
    if (c == '-' || IsDigit(c)) return Number();
    for (std::string_view word : {"true", "false", "null"}) {
      if (c != word[0]) continue;
      for (size_t k = 0; k < word.size(); ++k, ++i_) {
        if (i_ >= t_.size()) return Cut("'" + std::string(word) + "'");
        if (t_[i_] != word[k])
          return Fail("expected '" + std::string(word) + "', found " + Shown(t_[i_]));
      }
      return true;
    }
    return Fail("expected a value, found " + Shown(c));
  }

  bool Number() {
    if (t_[i_] == '-') ++i_;
    if (i_ >= t_.size()) return Cut("a digit");
    if (t_[i_] == '0') {
      ++i_;
    } else if (IsDigit(t_[i_])) {
      while (i_ < t_.size() && IsDigit(t_[i_])) ++i_;
    } else {
      return Fail("expected a digit, found " + Shown(t_[i_]));
    }
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (i_ >= t_.size()) return Cut("a digit");
      if (!IsDigit(t_[i_])) return Fail("expected a digit after '.', found " + Shown(t_[i_]));
      while (i_ < t_.size() && IsDigit(t_[i_])) ++i_;
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (i_ >= t_.size()) return Cut("a digit");
      if (!IsDigit(t_[i_])) return Fail("expected a digit in the exponent, found " + Shown(t_[i_]));
      while (i_ < t_.size() && IsDigit(t_[i_])) ++i_;
    }
    return true;
  }

  // A string from its opening quote: escapes, control characters and UTF-8 checked.
  bool String() {
    ++i_;
    for (;;) {
      if (i_ >= t_.size()) return Cut("the closing '\"' of a string");
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return Fail("a control character (" + Shown(t_[i_]) + ") in a string");
      if (c == '\\') {
        if (!Escape()) return false;
      } else if (c >= 0x80) {
        if (!Utf8()) return false;
      } else {
        ++i_;
      }
    }
  }

  bool Escape() {
    const size_t at = i_++;
    if (i_ >= t_.size()) return Cut("an escape");
    const char e = t_[i_];
    if (e != 'u') {
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        i_ = at;
        return Fail("'\\" + std::string(1, e) + "' is not a JSON escape");
      }
      ++i_;
      return true;
    }
    ++i_;
    int unit = 0;
    if (!Hex4(at, &unit)) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      i_ = at;
      return Fail("a lone low surrogate (\\u escape) in a string");
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const size_t low = i_;
      if (i_ + 1 >= t_.size() || t_[i_] != '\\' || t_[i_ + 1] != 'u') {
        i_ = at;
        return Fail("a high surrogate (\\u escape) not followed by a low one");
      }
      i_ += 2;
      if (!Hex4(low, &unit)) return false;
      if (unit < 0xDC00 || unit > 0xDFFF) {
        i_ = low;
        return Fail("a high surrogate (\\u escape) not followed by a low one");
      }
    }
    return true;
  }

  bool Hex4(size_t escape_at, int* unit) {
    *unit = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      if (i_ >= t_.size()) return Cut("4 hex digits");
      const int h = Hex(t_[i_]);
      if (h < 0) {
        i_ = escape_at;
        return Fail("a \\u escape needs 4 hex digits");
      }
      *unit = *unit * 16 + h;
    }
    return true;
  }

  // One UTF-8 sequence from a lead byte >= 0x80: the shortest form, no surrogate, <= U+10FFFF.
  bool Utf8() {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(t_[i_ + k]); };
    const unsigned char c = b(0);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return Fail("invalid UTF-8 (" + Shown(t_[i_]) + ")");
    }
    for (size_t k = 1; k < n; ++k) {
      if (i_ + k >= t_.size()) {
        i_ += k;
        return Cut("the rest of a UTF-8 character");
      }
      const unsigned char x = b(k);
      if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF))
        return Fail("invalid UTF-8 (" + Shown(t_[i_]) + " " + Shown(t_[i_ + k]) + ")");
    }
    i_ += n;
    return true;
  }

  void SkipSpace() {
    while (i_ < t_.size() && IsSpace(t_[i_])) ++i_;
  }
  bool Fail(std::string what) {
    error_ = JsonSyntaxError{i_, std::move(what)};
    return false;
  }
  bool Cut(const std::string& expected) {
    i_ = t_.size();
    return Fail("the body ends early: expected " + expected);
  }

  std::string_view t_;
  size_t i_ = 0;
  std::optional<JsonSyntaxError> error_;
};

}  // namespace

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text) {
  return Walker(text).Run();
}

Status MalformedJson(std::string_view body, simdjson::error_code simdjson_error) {
  if (auto e = FindJsonSyntaxError(body))
    return Status::Invalid("body",
                           "malformed JSON at byte " + std::to_string(e->offset) + ": " + e->what);
  return Status::Invalid("body",
                         std::string("malformed JSON: ") + simdjson::error_message(simdjson_error));
}

Status ParseJsonBody(std::string_view body, bool empty_is_object, simdjson::dom::parser& parser,
                     simdjson::dom::element* out) {
  if (empty_is_object && body.find_first_not_of(" \t\r\n") == std::string_view::npos) body = "{}";
  // An empty body may have no buffer at all: simdjson would copy from a null pointer.
  if (body.empty()) return MalformedJson(body, simdjson::EMPTY);
  if (auto err = parser.parse(body.data(), body.size()).get(*out)) return MalformedJson(body, err);
  return Status::Ok();
}

}  // namespace credlist
