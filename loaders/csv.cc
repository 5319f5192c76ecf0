#include "loaders/csv.h"

namespace credlist {

CsvReader::CsvReader(CsvOptions options) : options_(options) {}

void CsvReader::EmitRecord(const RecordFn& on_record) {
  fields_.clear();
  size_t start = 0;
  for (size_t end : ends_) {
    fields_.emplace_back(buf_.data() + start, end - start);
    start = end;
  }
  on_record(record_line_, std::span<const std::string_view>(fields_));
  buf_.clear();
  ends_.clear();
}

Status CsvReader::TooLong() {
  error_ = Status::Invalid("", "line " + std::to_string(record_line_) + ": a record longer than " +
                                   std::to_string(options_.max_record_bytes) +
                                   " bytes (a quoted field that is never closed?)");
  return error_;
}

Status CsvReader::Feed(std::string_view bytes, const RecordFn& on_record) {
  if (!error_.ok()) return error_;
  const char delim = options_.delimiter;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end) {
    switch (state_) {
      case State::kRecordStart:
        if (*p == '\n' || *p == '\r') {  // an empty line: no record
          CountBreak(*p++);
          break;
        }
        record_line_ = line_;
        prev_cr_ = false;
        state_ = State::kFieldStart;
        [[fallthrough]];
      case State::kFieldStart:
        if (*p == '"') {
          ++p;
          prev_cr_ = false;
          state_ = State::kQuoted;
        } else {
          state_ = State::kUnquoted;
        }
        break;
      case State::kUnquoted: {
        const char* q = p;
        while (q < end && *q != delim && *q != '\n' && *q != '\r') ++q;
        if (q != p) {
          buf_.append(p, q);
          prev_cr_ = false;
          p = q;
        }
        if (buf_.size() + ends_.size() * sizeof(size_t) > options_.max_record_bytes)
          return TooLong();
        if (p == end) break;
        const char c = *p++;
        EndField();
        if (c == delim) {
          prev_cr_ = false;
          state_ = State::kFieldStart;
        } else {
          CountBreak(c);
          EmitRecord(on_record);
          state_ = State::kRecordStart;
        }
        break;
      }
      case State::kQuoted: {
        const char* q = p;
        while (q < end && *q != '"' && *q != '\n' && *q != '\r') ++q;
        if (q != p) {
          buf_.append(p, q);
          prev_cr_ = false;
          p = q;
        }
        if (buf_.size() + ends_.size() * sizeof(size_t) > options_.max_record_bytes)
          return TooLong();
        if (p == end) break;
        const char c = *p++;
        if (c == '"') {
          prev_cr_ = false;
          state_ = State::kQuotedQuote;
        } else {  // a line break inside the field
          CountBreak(c);
          buf_.push_back(c);
        }
        break;
      }
      case State::kQuotedQuote: {
        const char c = *p;
        if (c == '"') {  // "" stands for one quote
          ++p;
          prev_cr_ = false;
          buf_.push_back('"');
          state_ = State::kQuoted;
        } else if (c == delim) {
          ++p;
          prev_cr_ = false;
          EndField();
          state_ = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          ++p;
          CountBreak(c);
          EndField();
          EmitRecord(on_record);
          state_ = State::kRecordStart;
        } else {  // text after the closing quote belongs to the field
          state_ = State::kUnquoted;
        }
        break;
      }
    }
  }
  return Status::Ok();
}

Status CsvReader::Finish(const RecordFn& on_record) {
  Status result = error_;
  if (result.ok()) {
    if (state_ == State::kQuoted) {
      result = Status::Invalid("", "line " + std::to_string(record_line_) +
                                       ": a quoted field is not closed at the end of the input");
    } else if (state_ != State::kRecordStart) {
      EndField();
      EmitRecord(on_record);
    }
  }
  state_ = State::kRecordStart;
  buf_.clear();
  ends_.clear();
  line_ = 1;
  record_line_ = 1;
  prev_cr_ = false;
  error_ = Status::Ok();
  return result;
}

}  // namespace credlist
