// What every loader shares: options, the per-row error report and the entry sink.
//
// A loader reads an outside format (NDJSON, the 报送表 CSV, a PostgreSQL table), turns each
// record into an Entry through MakeEntry (engine/validate.h) and hands each valid entry to the
// sink. It never drops a row silently: every rejected row is in the report with its row number,
// and every bad field of it with its field and reason. Whether a load with rejected rows is applied
// is the caller's decision (all-or-nothing unless --skip-invalid): loaders only read and report.
// Loaders are used from one thread at a time; loaders/parallel_ndjson.h parses on worker
// threads of its own, but calls its sink and progress on the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

struct RowError {
  uint64_t row;  // 1-based: the line of an NDJSON file, the line of a CSV file (header = 1)
  std::string field;
  std::string reason;
};

struct LoadReport {
  uint64_t rows = 0;      // records read
  uint64_t loaded = 0;    // records handed to the sink
  uint64_t rejected = 0;  // records refused
  // Every error of every rejected record (a record reports each bad field, so there may be
  // more errors than rejected records): the first kMaxErrors, and how many more there were.
  std::vector<RowError> errors;
  uint64_t errors_unlisted = 0;
  // Cells that load but look damaged (a '?' in a name of a GBK file): the first kMaxErrors,
  // and the count of all.
  std::vector<RowError> warnings;
  uint64_t warned = 0;
  static constexpr size_t kMaxErrors = 1000;

  // A rejected record and its first error.
  void Reject(uint64_t row, std::string field, std::string reason) {
    ++rejected;
    AddError(row, std::move(field), std::move(reason));
  }
  // Another error of the record just rejected (not counted again).
  void AddError(uint64_t row, std::string field, std::string reason) {
    if (errors.size() < kMaxErrors)
      errors.push_back({row, std::move(field), std::move(reason)});
    else
      ++errors_unlisted;
  }
  void Warn(uint64_t row, std::string field, std::string reason) {
    ++warned;
    if (warnings.size() < kMaxErrors)
      warnings.push_back({row, std::move(field), std::move(reason)});
  }
};

struct LoadOptions {
  // Fills an empty 认定部门 (department) of every record (`load --department`).
  std::string department;
  // Called now and then with the bytes (or rows, for PostgreSQL) done and the total (0 when
  // unknown), for a progress line on a terminal. May be empty.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // `load --strict`: what is otherwise a warning (a '?' where a GBK writer lost a character of
  // a name) rejects the record.
  bool strict = false;
};

using EntrySink = std::function<void(Entry&&)>;

}  // namespace credlist
