// Screener: bulk screening of an applicant list (POST /v1/screen, `credlist screen`).
//
// Rows come in as CSV (a column named key, 统一社会信用代码 or 证件号码; a name column
// optional; UTF-8 or GBK) or NDJSON ({"key":…,"name":…}), in chunks of any size and split anywhere;
// or as an .xlsx workbook (its first sheet, the same columns as the CSV), which is read whole
// first (a zip's directory is at its end): its bytes are kept up to xlsx_limit, past which the
// screen stops with a kTooLarge error (413). A key cell the sheet stores as a number is an
// invalid row unless it is an integer of at most 15 digits (Excel keeps 15 significant digits).
// Each hit and each invalid row goes out as one NDJSON line {"row":N,…}; Finish() adds the summary
// line. Rows are numbered from 1, the first data row (the CSV header is not a row). Rows are looked
// up in batches, so that the probes of a batch overlap their memory misses. Memory stays bounded by
// one batch and the longest row, whatever the input size. One Screener per request, used by one
// thread.
#pragma once

#include <simdjson.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/check.h"
#include "engine/status.h"
#include "loaders/csv.h"
#include "loaders/encoding.h"
#include "server/encode.h"

namespace credlist {

enum class ScreenFormat { kCsv, kNdjson, kXlsx };

// The most bytes of an .xlsx body kept by default (serve --screen-xlsx-limit).
inline constexpr size_t kDefaultScreenXlsxLimit = size_t{64} << 20;

struct ScreenSummary {
  uint64_t rows = 0;
  uint64_t hits = 0;
  uint64_t invalid = 0;
};

class Screener {
 public:
  // Holds the snapshot for the whole screen, whatever is published meanwhile.
  Screener(std::shared_ptr<const Snapshot> snap, Day as_of, Visibility vis, ScreenFormat format);

  // Consumes body bytes, appending output lines to *out. An error (a CSV header without a key
  // column) stops the screen: the caller answers 400 if nothing was sent yet.
  Status Feed(std::string_view bytes, std::string* out);
  // Ends the input: the last rows, then the summary line.
  Status Finish(std::string* out);
  const ScreenSummary& summary() const { return summary_; }
  // Reads the life cycle's entries too (engine/live.h), held for the whole screen.
  void set_live(std::shared_ptr<const LiveOverlay> live) { live_ = std::move(live); }
  void set_xlsx_limit(size_t bytes) { xlsx_limit_ = bytes; }
  ScreenFormat format() const { return format_; }
  // Called for each hit (the audit of natural persons' checks: server/entries_handler.cc),
  // with the snapshot it was read from and the measures it listed.
  using HitFn = std::function<void(const CheckResult&, std::string_view check_id,
                                   const Snapshot& snap, const MeasureContext& measures)>;
  void set_on_hit(HitFn fn) { on_hit_ = std::move(fn); }
  // Called after each batch of rows is checked: how many valid rows were checked, and how
  // many of them were hits (the check log: server/check_log.h).
  void set_on_checked(std::function<void(uint64_t checked, uint64_t hits)> fn) {
    on_checked_ = std::move(fn);
  }
  // Lists with each hit the measures `policy` calls for in `scenario` (DESIGN.md §5).
  void set_measures(std::shared_ptr<const Policy> policy, int scenario) {
    policy_ = std::move(policy);
    scenario_ = scenario;
  }

 private:
  struct Row {
    uint64_t row;
    LookupKey key;
    uint32_t first_hit;  // index into hits_
    uint32_t name_off, name_len;
  };
  static constexpr size_t kBatch = 256;

  void OnCsvRecord(uint64_t line, std::span<const std::string_view> fields);
  // The header's columns; an error when there is no key column.
  void SetHeader(std::span<const std::string_view> fields);
  void OnSheetRow(std::span<const std::string_view> cells, std::span<const bool> numbers);
  void OnNdjsonLine(std::string_view line);
  void AddRow(std::string_view key, std::string_view name);
  void AddInvalid(std::string_view key, const Status& why);
  void Flush();

  std::shared_ptr<const Snapshot> hold_;
  const Snapshot& snap_;
  Day as_of_;
  std::shared_ptr<const LiveOverlay> live_;  // null: the snapshot alone
  HitFn on_hit_;
  std::function<void(uint64_t, uint64_t)> on_checked_;
  std::shared_ptr<const Policy> policy_;  // null: no measures
  int scenario_ = -1;
  Visibility vis_;
  ScreenFormat format_;
  ScreenSummary summary_;
  Status error_;
  std::string* out_ = nullptr;

  // CSV state: UTF-8 (with or without BOM) or GBK as Excel saves it, decoded to UTF-8 first.
  TextDecoder decoder_;
  std::string decoded_;
  CsvReader csv_;
  bool have_header_ = false;
  int key_col_ = -1, alt_key_col_ = -1, name_col_ = -1;

  // xlsx state: the body so far.
  std::string xlsx_;
  size_t xlsx_limit_ = kDefaultScreenXlsxLimit;

  // NDJSON state.
  std::string partial_line_;
  std::string padded_;
  simdjson::ondemand::parser json_;

  // The batch.
  std::vector<Row> rows_;
  std::vector<Key> keys_;
  std::vector<Hits> hits_;
  std::string names_;
  CheckResult result_;
};

}  // namespace credlist
