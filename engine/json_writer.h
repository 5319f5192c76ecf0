// JsonWriter: appends JSON text to a caller-owned std::string, with no allocation of its own.
//
// The writer tracks commas, nothing else: the caller opens and closes objects and arrays in
// the right order. Strings are escaped per RFC 8259 (control characters, quote, backslash);
// other bytes, UTF-8 included, pass through. Used by the HTTP responses, `credlist check` and
// the generator. One writer per thread; reuse the string across requests to keep its capacity.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace credlist {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  // The name of the next member; the value follows with one of the value calls.
  JsonWriter& Key(std::string_view name) {
    Comma();
    AppendString(name);
    out_->push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view s) {
    Comma();
    AppendString(s);
    return *this;
  }
  JsonWriter& Int(int64_t v) {
    Comma();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
    return *this;
  }
  // NaN and infinities have no JSON form (RFC 8259 §6): they are written as null.
  JsonWriter& Double(double v) {
    if (!std::isfinite(v)) return Null();
    Comma();
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
    return *this;
  }
  JsonWriter& Bool(bool v) {
    Comma();
    out_->append(v ? "true" : "false");
    return *this;
  }
  JsonWriter& Null() {
    Comma();
    out_->append("null");
    return *this;
  }
  // A string, or null when empty.
  JsonWriter& StringOrNull(std::string_view s) { return s.empty() ? Null() : String(s); }
  // Pre-encoded JSON, written as one value.
  JsonWriter& Raw(std::string_view json) {
    Comma();
    out_->append(json);
    return *this;
  }

  // Pre-encoded members of the open object ("\"a\":1,\"b\":2"); nothing when empty.
  JsonWriter& RawMembers(std::string_view members) {
    if (members.empty()) return *this;
    Comma();
    out_->append(members);
    return *this;
  }

  std::string& out() { return *out_; }

 private:
  JsonWriter& Open(char c) {
    Comma();
    out_->push_back(c);
    first_ = true;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_->push_back(c);
    first_ = false;
    return *this;
  }
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void AppendString(std::string_view s) {
    out_->push_back('"');
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_->append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_->append("\\\"");
          break;
        case '\\':
          out_->append("\\\\");
          break;
        case '\n':
          out_->append("\\n");
          break;
        case '\r':
          out_->append("\\r");
          break;
        case '\t':
          out_->append("\\t");
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out_->append(esc, 6);
        }
      }
    }
    out_->append(s.data() + run, s.size() - run);
    out_->push_back('"');
  }

  std::string* out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace credlist
