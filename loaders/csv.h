// An incremental RFC 4180 CSV record reader: bytes are pushed in chunks of any size (one byte
// at a time works), and each complete record is handed to a callback as a span of fields.
//
// - Fields are separated by the delimiter (',' by default), records by LF, CRLF or a lone CR.
// - A field that starts with '"' is quoted: it may hold delimiters, line breaks and '""' (one
//   quote). Lenient where Excel and most readers are: a '"' inside an unquoted field is an
//   ordinary character, and text after a closing quote is appended to the field
//   ("ab"c → abc).
// - A record's line number is the 1-based physical line where it starts (line breaks inside
//   quoted fields count, as an editor shows them).
// - An empty line (no bytes between two line breaks) gives no record; a line holding only
//   delimiters gives a record of empty fields.
// - Bytes are not interpreted beyond the delimiter, '"', CR and LF, so any ASCII-compatible
//   encoding works; decode to UTF-8 first (loaders/encoding.h).
//
// Memory is bounded by the longest record: the reader keeps one record's bytes, in buffers
// reused from record to record (no allocation per field once they have grown). A record longer
// than CsvOptions::max_record_bytes (an unclosed quote swallowing a whole upload, say) is an
// error rather than unbounded growth.
//
// The fields passed to the callback point into the reader's buffer and are valid only during
// the call. A CsvReader is one stream's state: use it from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

namespace credlist {

struct CsvOptions {
  // The field separator: ',' for CSV, '\t' for TSV.
  char delimiter = ',';
  // The most bytes one record may hold (its fields' bytes after unquoting). Past it, Feed
  // returns an error naming the record's line.
  size_t max_record_bytes = size_t{64} << 20;
};

class CsvReader {
 public:
  // line: the physical line where the record starts (1-based); fields: at least one.
  using RecordFn = std::function<void(uint64_t line, std::span<const std::string_view> fields)>;

  explicit CsvReader(CsvOptions options = {});

  // Reads `bytes`, calling `on_record` for each record completed by them. After an error
  // every later call returns it and reads nothing.
  Status Feed(std::string_view bytes, const RecordFn& on_record);
  // Ends the input: the last record need not end with a line break. An error when the input
  // ends inside a quoted field. The reader is then ready for a new input (line 1).
  Status Finish(const RecordFn& on_record);

  // The physical line of the next byte (1-based).
  uint64_t line() const { return line_; }

 private:
  enum class State : uint8_t {
    kRecordStart,  // no byte of the record yet
    kFieldStart,   // after a delimiter
    kUnquoted,     // inside an unquoted field
    kQuoted,       // inside a quoted field
    kQuotedQuote,  // a '"' inside a quoted field: the end of it, or the first of '""'
  };

  void EndField() { ends_.push_back(buf_.size()); }
  void EmitRecord(const RecordFn& on_record);
  // Counts a line break byte (CR, or LF not after CR).
  void CountBreak(char c) {
    if (c == '\r' || !prev_cr_) ++line_;
    prev_cr_ = c == '\r';
  }
  Status TooLong();

  CsvOptions options_;
  State state_ = State::kRecordStart;
  std::string buf_;           // the current record's fields, unquoted, back to back
  std::vector<size_t> ends_;  // end offset in buf_ of each finished field
  std::vector<std::string_view> fields_;
  uint64_t line_ = 1;
  uint64_t record_line_ = 1;
  bool prev_cr_ = false;
  Status error_;
};

}  // namespace credlist
