#include "loaders/ndjson.h"

#include "loaders/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>
#include <algorithm>
#include <cstring>
#include <memory>

#include "engine/validate.h"
#include "loaders/encoding.h"
#include "loaders/entry_errors.h"

namespace credlist {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr size_t kBlockBytes = size_t{1} << 20;         // a file is read this much at a time
constexpr uint64_t kProgressBytes = uint64_t{4} << 20;  // progress is reported this often

// The EntryFields slot a JSON key fills; nullptr for an unknown key. memoranda is apart.
std::string_view* Slot(EntryFields& f, std::string_view k) {
  switch (k.size()) {
    case 4:
      if (k == "list") return &f.list;
      if (k == "name") return &f.name;
      if (k == "uscc") return &f.uscc;
      break;
    case 5:
      if (k == "basis") return &f.basis;
      if (k == "state") return &f.state;
      break;
    case 6:
      if (k == "reg_no") return &f.reg_no;
      break;
    case 7:
      if (k == "id_type") return &f.id_type;
      if (k == "conduct") return &f.conduct;
      if (k == "outcome") return &f.outcome;
      break;
    case 8:
      if (k == "entry_id") return &f.entry_id;
      if (k == "category") return &f.category;
      break;
    case 9:
      if (k == "id_number") return &f.id_number;
      if (k == "legal_rep") return &f.legal_rep;
      break;
    case 10:
      if (k == "department") return &f.department;
      if (k == "decided_on") return &f.decided_on;
      if (k == "valid_from") return &f.valid_from;
      break;
    case 11:
      if (k == "valid_until") return &f.valid_until;
      if (k == "exit_reason") return &f.exit_reason;
      break;
    case 12:
      if (k == "subject_type") return &f.subject_type;
      break;
    case 19:
      if (k == "legal_rep_id_number") return &f.legal_rep_id_number;
      break;
  }
  return nullptr;
}

const char* TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

}  // namespace

// One line at a time: parse, fill EntryFields, MakeEntry, sink or report. Keeps its simdjson
// parser and buffers from line to line (and slice to slice).
class NdjsonSliceParser::LineLoader {
 public:
  explicit LineLoader(const LoadOptions& options) : department_(options.department) {}

  // Parses one line into *out. False for a blank line and for a rejected one (reported then).
  // `line` excludes its '\n'; `readable` bytes from line.data() on may be read (simdjson reads
  // up to SIMDJSON_PADDING bytes past the end of a document).
  bool Line(std::string_view line, size_t readable, uint64_t number, Entry* out,
            LoadReport* report) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    size_t lead = 0;
    while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r'))
      ++lead;
    if (lead == line.size()) return false;  // blank
    ++report->rows;
    const char* data = line.data();
    if (readable < line.size() + kPadding) {
      padded_.assign(line);
      padded_.append(kPadding, ' ');
      data = padded_.data();
      readable = padded_.size();
    }
    if (Status s = Parse(data, line.size(), readable); !s.ok()) {
      report->Reject(number, s.field(), s.reason());
      return false;
    }
    if (fields_.department.empty()) fields_.department = department_;
    Status s = FillEntry(fields_, out);
    if (s.ok() && field_errors_.empty()) {
      ++report->loaded;
      return true;
    }
    RejectAll(number, std::move(s), out, report);
    return false;
  }

  // Every line of data[0, size), numbered from `number`: what NdjsonSliceParser::Parse does.
  // `next()` gives the Entry to fill for the next line, `done()` takes it once filled.
  template <typename Next, typename Done>
  uint64_t Lines(const char* data, size_t size, size_t readable, uint64_t number, Next next,
                 Done done, LoadReport* report) {
    const uint64_t first = number;
    size_t pos = 0;
    while (pos < size) {
      const void* nl = std::memchr(data + pos, '\n', size - pos);
      const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : size;
      if (Line(std::string_view(data + pos, end - pos), readable - pos, number++, next(), report))
        done();
      pos = end + 1;
    }
    return number - first;
  }
  // The same, each entry to the sink.
  uint64_t Lines(const char* data, size_t size, size_t readable, uint64_t number,
                 const EntrySink& sink, LoadReport* report) {
    Entry entry;
    return Lines(
        data, size, readable, number, [&] { return &entry; }, [&] { sink(std::move(entry)); },
        report);
  }

 private:
  // Malformed JSON: simdjson's reason, and the key under which it was found when known.
  static Status JsonError(simdjson::error_code e, std::string_view key = {}) {
    std::string reason = "not valid JSON";
    if (!key.empty()) reason += " at \"" + std::string(key) + "\"";
    reason += ": ";
    switch (e) {
      case simdjson::INCORRECT_TYPE:
      case simdjson::N_ATOM_ERROR:
      case simdjson::T_ATOM_ERROR:
      case simdjson::F_ATOM_ERROR:
      case simdjson::NUMBER_ERROR:
        reason += "a malformed value (expected a string, number, true, false or null)";
        break;
      default:
        reason += simdjson::error_message(e);
    }
    return Status::Invalid("json", std::move(reason));
  }

  // A rejected line with every bad field: the fields of a wrong JSON type, then MakeEntry's
  // errors on the others (loaders/entry_errors.h). `first` is FillEntry's status.
  void RejectAll(uint64_t number, Status first, Entry* scratch, LoadReport* report) {
    std::vector<std::string_view> replaced;
    if (!field_errors_.empty()) {
      for (const Status& e : field_errors_) {
        replaced.push_back(e.field());
        ReplaceWithValid(e.field(), &fields_);
      }
      first = FillEntry(fields_, scratch);
    }
    std::vector<Status> errors = field_errors_;
    for (Status& e : EntryFieldErrors(fields_, first, replaced)) errors.push_back(std::move(e));
    report->Reject(number, errors[0].field(), errors[0].reason());
    for (size_t i = 1; i < errors.size(); ++i)
      report->AddError(number, errors[i].field(), errors[i].reason());
  }

  void ResetFields() {
    std::vector<std::string_view> memoranda = std::move(fields_.memoranda);
    memoranda.clear();
    fields_ = EntryFields{};
    fields_.memoranda = std::move(memoranda);
  }

  Status Parse(const char* data, size_t len, size_t readable) {
    ResetFields();
    field_errors_.clear();
    od::document doc;
    if (auto e = parser_.iterate(data, len, readable).get(doc)) return JsonError(e);
    od::object object;
    if (auto e = doc.get_object().get(object)) {
      if (e == simdjson::INCORRECT_TYPE)
        return Status::Invalid("json", "not a JSON object (one object a line)");
      return JsonError(e);
    }
    for (auto field_result : object) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return JsonError(e);
      // The key as written when it has no escape (every key we know), without a copy.
      const char* raw = field.key().raw();
      const char* end = raw;
      while (*end != '"' && *end != '\\') ++end;  // the closing quote is there: stage 1 checked
      std::string_view key(raw, static_cast<size_t>(end - raw));
      if (*end != '"' && (field.unescaped_key().get(key) != simdjson::SUCCESS))
        return Status::Invalid("json", "not valid JSON: a malformed key");
      od::value& value = field.value();
      std::string_view* slot = Slot(fields_, key);
      // The common case first: a known field holding a string.
      if (slot) {
        const simdjson::error_code e = value.get_string().get(*slot);
        if (e == simdjson::SUCCESS) continue;
        if (e != simdjson::INCORRECT_TYPE) return JsonError(e, key);
        *slot = {};
      }
      od::json_type type;
      if (auto e = value.type().get(type)) return JsonError(e, key);
      if (type == od::json_type::null) {
        bool is_null = false;
        if (auto e = value.is_null().get(is_null); e || !is_null)
          return JsonError(e ? e : simdjson::N_ATOM_ERROR, key);
        if (key == "memoranda") fields_.memoranda.clear();
        continue;
      }
      if (slot) {
        // Not the end of the line: the other fields are still checked, for every error.
        field_errors_.push_back(Status::Invalid(
            std::string(key), std::string("must be a string or null, not ") + TypeName(type)));
        if (auto e = Validate(value, type)) return JsonError(e, key);
      } else if (key == "memoranda" && type != od::json_type::array) {
        field_errors_.push_back(Status::Invalid(
            "memoranda",
            std::string("must be an array of strings or null, not ") + TypeName(type)));
        fields_.memoranda.clear();
        if (auto e = Validate(value, type)) return JsonError(e, key);
      } else if (key == "memoranda") {
        if (Status s = Memoranda(value, type); !s.ok()) return s;
      } else if (auto e = Validate(value, type)) {  // unknown keys: ignored, but valid JSON
        return JsonError(e, key);
      }
    }
    // One object a line: anything after it is an error, not a second record.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
      return Status::Invalid("json", "more than one JSON value on the line");
    return Status::Ok();
  }

  // Reads a value through, so that malformed JSON under an ignored key is still an error
  // (On-Demand would otherwise skip it unchecked).
  static simdjson::error_code Validate(od::value& value, od::json_type type) {
    switch (type) {
      case od::json_type::object: {
        od::object object;
        if (auto e = value.get_object().get(object)) return e;
        for (auto field_result : object) {
          od::field field;
          if (auto e = std::move(field_result).get(field)) return e;
          std::string_view key;
          if (auto e = field.unescaped_key().get(key)) return e;
          od::json_type t;
          if (auto e = field.value().type().get(t)) return e;
          if (auto e = Validate(field.value(), t)) return e;
        }
        return simdjson::SUCCESS;
      }
      case od::json_type::array: {
        od::array array;
        if (auto e = value.get_array().get(array)) return e;
        for (auto element : array) {
          od::value item;
          if (auto e = std::move(element).get(item)) return e;
          od::json_type t;
          if (auto e = item.type().get(t)) return e;
          if (auto e = Validate(item, t)) return e;
        }
        return simdjson::SUCCESS;
      }
      case od::json_type::string:
        return value.get_string().error();
      case od::json_type::number:
        return value.get_number().error();
      case od::json_type::boolean:
        return value.get_bool().error();
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = value.is_null().get(is_null)) return e;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
      }
    }
    return simdjson::SUCCESS;
  }

  Status Memoranda(od::value& value, od::json_type type) {
    if (type != od::json_type::array)
      return Status::Invalid(
          "memoranda", std::string("must be an array of strings or null, not ") + TypeName(type));
    od::array array;
    if (auto e = value.get_array().get(array)) return JsonError(e, "memoranda");
    fields_.memoranda.clear();
    size_t index = 0;
    for (auto element : array) {
      ++index;
      od::value item;
      if (auto e = std::move(element).get(item)) return JsonError(e, "memoranda");
      od::json_type t;
      if (auto e = item.type().get(t)) return JsonError(e, "memoranda");
      if (t != od::json_type::string)
        return Status::Invalid("memoranda", "element " + std::to_string(index) +
                                                " must be a string, not " + TypeName(t));
      std::string_view id;
      if (auto e = item.get_string().get(id)) return JsonError(e, "memoranda");
      fields_.memoranda.push_back(id);
    }
    return Status::Ok();
  }

  std::string department_;
  od::parser parser_;
  EntryFields fields_;
  std::vector<Status> field_errors_;  // known fields of a wrong type, on this line
  std::string padded_;
};

NdjsonSliceParser::NdjsonSliceParser(const LoadOptions& options)
    : loader_(std::make_unique<LineLoader>(options)) {}

NdjsonSliceParser::~NdjsonSliceParser() = default;

uint64_t NdjsonSliceParser::Parse(std::string_view slice, size_t readable, uint64_t first_row,
                                  const EntrySink& sink, LoadReport* report) {
  return loader_->Lines(slice.data(), slice.size(), readable, first_row, sink, report);
}

uint64_t NdjsonSliceParser::Parse(std::string_view slice, size_t readable, uint64_t first_row,
                                  std::vector<Entry>* batch, LoadReport* report) {
  size_t used = 0;
  const uint64_t lines = loader_->Lines(
      slice.data(), slice.size(), readable, first_row,
      [&] { return used < batch->size() ? &(*batch)[used] : &batch->emplace_back(); },
      [&] { ++used; }, report);
  batch->resize(used);
  return lines;
}

size_t NdjsonSliceEnd(std::string_view data, size_t begin, size_t bytes) {
  const size_t from = begin + std::max<size_t>(bytes, 1) - 1;
  if (from >= data.size()) return data.size();
  const void* nl = std::memchr(data.data() + from, '\n', data.size() - from);
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1 : data.size();
}

namespace {

// Calls options.progress at most once per kProgressBytes.
class Progress {
 public:
  Progress(const LoadOptions& options, uint64_t total) : options_(options), total_(total) {}
  void At(uint64_t done) {
    if (options_.progress && done >= next_) {
      options_.progress(done, total_);
      next_ = done + kProgressBytes;
    }
  }
  void End(uint64_t done) {
    if (options_.progress) options_.progress(done, total_);
  }

 private:
  const LoadOptions& options_;
  uint64_t total_;
  uint64_t next_ = kProgressBytes;
};

// Every line of `data` from `start` on, a slice of about kProgressBytes at a time; `done(end)`
// after each slice but the last, with the offset of its end.
template <typename Done>
void ScanSlices(std::string_view data, size_t start, NdjsonSliceParser& parser,
                const EntrySink& sink, LoadReport* report, Done done) {
  uint64_t number = 1;
  for (size_t pos = start; pos < data.size();) {
    const size_t end = NdjsonSliceEnd(data, pos, kProgressBytes);
    number += parser.Parse(data.substr(pos, end - pos), data.size() - pos, number, sink, report);
    pos = end;
    if (pos < data.size()) done(pos);
  }
}

// A regular file, mapped: no copy into a buffer, and the pages read are dropped from the
// mapping as the scan passes them, so a file of any size costs no more than a window of
// resident memory. False when the file cannot be mapped (the caller then reads it).
bool LoadMapped(int fd, uint64_t size, NdjsonSliceParser& parser, const EntrySink& sink,
                LoadReport* report, Progress& progress) {
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return false;
  ::madvise(map, size, MADV_SEQUENTIAL);
  const auto* base = static_cast<const char*>(map);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t dropped = 0;
  const size_t start = HasUtf8Bom(std::string_view(base, size)) ? kUtf8Bom.size() : 0;
  ScanSlices(std::string_view(base, size), start, parser, sink, report, [&](uint64_t done) {
    progress.At(done);
    const uint64_t upto = done / page * page;
    if (upto > dropped) {
      ::madvise(const_cast<char*>(base) + dropped, upto - dropped, MADV_DONTNEED);
      dropped = upto;
    }
  });
  ::munmap(map, size);
  progress.End(size);
  return true;
}

// Any readable descriptor (a pipe too), read in blocks; a line longer than a block grows the
// buffer.
Status LoadRead(int fd, const std::string& path, NdjsonSliceParser& parser, const EntrySink& sink,
                LoadReport* report, Progress& progress) {
  size_t capacity = kBlockBytes;
  auto buf = std::make_unique<char[]>(capacity + kPadding);
  size_t have = 0;        // bytes in buf
  uint64_t consumed = 0;  // bytes of the file before buf[0]
  uint64_t number = 1;
  bool first = true;
  for (;;) {
    if (have == capacity) {  // one line fills the buffer: make room for it
      auto bigger = std::make_unique<char[]>(2 * capacity + kPadding);
      std::memcpy(bigger.get(), buf.get(), have);
      buf = std::move(bigger);
      capacity *= 2;
    }
    const ssize_t n = ::read(fd, buf.get() + have, capacity - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Io(path + ": " + std::strerror(errno));
    }
    const bool eof = n == 0;
    have += static_cast<size_t>(n);
    std::memset(buf.get() + have, ' ', kPadding);
    size_t pos = 0;
    if (first) {
      if (have < kUtf8Bom.size() && !eof) continue;
      if (HasUtf8Bom(std::string_view(buf.get(), have))) pos = kUtf8Bom.size();
      first = false;
    }
    // The whole lines of the buffer; at the end of the input, the last one without '\n' too.
    const void* last_nl = eof ? nullptr : ::memrchr(buf.get() + pos, '\n', have - pos);
    const size_t end = eof ? have
                       : last_nl
                           ? static_cast<size_t>(static_cast<const char*>(last_nl) - buf.get()) + 1
                           : pos;
    if (end > pos)
      number += parser.Parse(std::string_view(buf.get() + pos, end - pos), have + kPadding - pos,
                             number, sink, report);
    if (eof) break;
    // Keep the unfinished last line for the next block.
    std::memmove(buf.get(), buf.get() + end, have - end);
    have -= end;
    consumed += end;
    progress.At(consumed);
  }
  progress.End(consumed + have);
  return Status::Ok();
}

}  // namespace

Status LoadNdjson(std::string_view data, const LoadOptions& options, const EntrySink& sink,
                  LoadReport* report) {
  NdjsonSliceParser parser(options);
  Progress progress(options, data.size());
  const size_t start = HasUtf8Bom(data) ? kUtf8Bom.size() : 0;
  ScanSlices(data, start, parser, sink, report, [&](uint64_t done) { progress.At(done); });
  progress.End(data.size());
  return Status::Ok();
}

Status LoadNdjsonFile(const std::string& path, const LoadOptions& options, const EntrySink& sink,
                      LoadReport* report) {
  auto file = InputFile::Open(path);
  if (!file.ok()) return file.status();
  const int fd = file->fd();
  const bool regular = file->regular();
  const uint64_t total = file->size();
  NdjsonSliceParser parser(options);
  Progress progress(options, total);
  if (regular && total > 0 && LoadMapped(fd, total, parser, sink, report, progress))
    return Status::Ok();
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return LoadRead(fd, path, parser, sink, report, progress);
}

}  // namespace credlist
