// The NDJSON loader: one entry a line, by the field names of API.md ("Input records").
//
// Each line is one JSON object; its fields go to EntryFields by name and through MakeEntry, so
// the rules of a valid entry are those of engine/validate.h. Per line:
//   - string fields: entry_id, list, category, subject_type, name, uscc, reg_no, id_type,
//     id_number, legal_rep, legal_rep_id_number, conduct, outcome, department, basis,
//     decided_on, valid_from, valid_until (YYYY-MM-DD, valid_until exclusive), state,
//     exit_reason; memoranda is an array of strings ("P06"). null, "" and a missing field are
//     the same: absent.
//   - another JSON type for a known field is a rejected row naming that field; unknown fields
//     are ignored (exports of other systems carry their own). A rejected row reports every bad
//     field: each of a wrong type, then each MakeEntry finds among the others
//     (loaders/entry_errors.h); malformed JSON ends the line's checks.
//   - a line that is not one JSON object (malformed, truncated, an array, invalid UTF-8) is a
//     rejected row with field "json" and simdjson's reason.
//   - blank lines (only spaces, tabs, CR) are skipped and not counted; a UTF-8 BOM before the
//     first line is ignored; CRLF line ends are accepted.
// Rows are numbered by physical line, 1-based. LoadOptions::department fills an empty
// department; LoadOptions::progress is called every few MiB with bytes done and total.
//
// The returned Status is an error only when the input cannot be read at all (a missing or
// unreadable file); bad records are in the LoadReport and never stop the load. On such an
// error, entries already handed to the sink belong to an incomplete load.
//
// Files are read in blocks of a few MiB (never whole), so memory stays bounded by the block
// and the longest line. Parsing uses simdjson On-Demand with its error codes (no exceptions).
// Not thread-safe across calls sharing a sink or a report; separate calls are independent.
// For a file parsed on several threads, see loaders/parallel_ndjson.h: it splits the input into
// slices of whole lines and parses each with an NdjsonSliceParser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "loaders/load.h"

namespace credlist {

Status LoadNdjson(std::string_view data, const LoadOptions& options, const EntrySink& sink,
                  LoadReport* report);

Status LoadNdjsonFile(const std::string& path, const LoadOptions& options, const EntrySink& sink,
                      LoadReport* report);

// Parses a slice of an NDJSON input: a run of whole lines, the first of which starts the slice
// (a BOM, when the input has one, is before the first slice, not in it). Lines are handled as
// by LoadNdjson: each valid entry to the sink, each rejected row to the report. Keeps its
// simdjson parser and buffers from slice to slice, so one parser per thread is the way to use
// it; an instance is used by one thread at a time, and instances are independent.
class NdjsonSliceParser {
 public:
  // Only options.department is used (copied); progress is the caller's.
  explicit NdjsonSliceParser(const LoadOptions& options);
  ~NdjsonSliceParser();
  NdjsonSliceParser(const NdjsonSliceParser&) = delete;
  NdjsonSliceParser& operator=(const NdjsonSliceParser&) = delete;

  // Parses every line of `slice`, numbering the first `first_row` (1-based, by physical line,
  // blank lines included). `readable` >= slice.size() bytes from slice.data() on may be read:
  // simdjson reads up to SIMDJSON_PADDING bytes past a line, and a line closer than that to
  // `readable` is copied first. Returns the number of lines in the slice: its '\n's, plus one
  // when it ends without one.
  uint64_t Parse(std::string_view slice, size_t readable, uint64_t first_row, const EntrySink& sink,
                 LoadReport* report);
  // The same into *batch, from its start: the entries already there are filled again (their
  // strings keep their buffers), more are added as needed, and on return *batch holds exactly
  // the slice's entries, in order.
  uint64_t Parse(std::string_view slice, size_t readable, uint64_t first_row,
                 std::vector<Entry>* batch, LoadReport* report);

 private:
  class LineLoader;  // ndjson.cc
  std::unique_ptr<LineLoader> loader_;
};

// The end of the slice of `data` that starts at `begin` (the start of a line) and holds about
// `bytes`: just past the first '\n' at or after begin + bytes - 1, or data.size() when there
// is none. So a slice is at least one line, and a line longer than `bytes` is one slice.
size_t NdjsonSliceEnd(std::string_view data, size_t begin, size_t bytes);

}  // namespace credlist
