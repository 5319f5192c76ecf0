// The quarterly centralised publication (集中发布, seed 三(二)1; API.md `GET
// /v1/publications/{YYYYQn}`, `credlist export`; the layout in docs/formats.md).
//
// What it holds. For a quarter and a list (red or black: the seed publishes those two, in
// 报送表 (1) and (2) of 附件 1), the entries that came into force during the quarter (they
// counted on that day) and still count on the day the document is made (spec.today): seed
// 三(二) publishes an entry as long as it is valid, so an entry that has since expired, exited
// (repaired, cancelled, ...) is not a row, whichever form is asked; and the exit announcements
// (退出公告, seed 五) of the quarter's exits of that list, the only place an exited entry is
// shown. Validity is half-open: an entry with valid_until D is a row up to D - 1 and not on D
// (API.md "An entry counts on as_of"). An entry comes into force
// on max(in_force_on, valid_from) for a loaded entry (valid_from when in_force_on is absent), and
// for a live entry on its in_force_on, or the day after its publicity when it was confirmed by
// itself (engine/live.h). Order: by the day they came into force, then entry_id (so the
// document does not depend on how the snapshot was built); announcements by sequence number.
//
// Columns. Those of the 报送表, in the seed's order, under the headers the loader reads
// (loaders/report_form.h), then 姓名, 证件类型 and 证件号码 for natural persons. Natural persons
// are masked (三(二) 技术处理, engine/masking.h): 姓名 and every 法定代表人 keep their first
// character (张*), 证件号码 its first 6 and last 4. The publication is a public document: it is
// masked for every caller, so that the HTTP answer and `credlist export` are the same bytes.
//
// Forms. CSV: a UTF-8 BOM, a header row, one row per entry, CRLF line ends, RFC 4180 quoting
// (a cell with a comma, a quote, CR or LF is quoted, its quotes doubled), so that Excel opens
// it as it is. JSON: the same cells as objects, snake_case keys in the same order, with the
// columns' headers. A CSV holds one part (entries, or the announcements); JSON both unless a
// part is asked for.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/live.h"
#include "engine/snapshot.h"
#include "engine/status.h"

namespace credlist {

struct Quarter {
  int year = 0;
  int number = 0;      // 1-4
  Day first = kNoDay;  // its first day
  Day end = kNoDay;    // the first day of the next quarter
};
// "2026Q3" (also "2026q3"); field "quarter" in the error.
Result<Quarter> ParseQuarter(std::string_view text);
std::string QuarterName(const Quarter& q);  // "2026Q3"

enum class PublicationFormat : uint8_t { kCsv, kJson };
enum class PublicationPart : uint8_t {
  kDefault,        // CSV: the entries; JSON: entries and announcements
  kEntries,        // the entries only
  kAnnouncements,  // the exit announcements only
};

struct PublicationSpec {
  Quarter quarter;
  ListKind list = ListKind::kRed;
  PublicationFormat format = PublicationFormat::kCsv;
  PublicationPart part = PublicationPart::kDefault;
  Day today = kNoDay;  // the day it is made (JSON `as_of`)
};

// A spec from the words of a request or a command line. `list` is required (red or black);
// `format` defaults to csv, `part` to the format's default. Errors name the field: quarter,
// list, format or part.
Result<PublicationSpec> MakePublicationSpec(std::string_view quarter, std::string_view list,
                                            std::string_view format, std::string_view part,
                                            Day today);

// One column: its JSON key and its header.
struct PublicationColumn {
  std::string_view field;
  std::string_view header;
};
inline constexpr size_t kPublicationColumns = 14;
// The columns of 报送表 (1) for red, (2) for black, then 姓名, 证件类型, 证件号码 (watch: those
// of black with 重点关注名单类型).
std::span<const PublicationColumn, kPublicationColumns> PublicationColumns(ListKind list);
// The columns an announcement adds after the entry's.
inline constexpr size_t kAnnouncementColumns = 4;
std::span<const PublicationColumn, kAnnouncementColumns> AnnouncementColumns();
// The reason of an exit as the seed words it (退出原因), e.g. 有效期届满.
std::string_view ExitReasonText(ExitReason reason);

// One row: the cells of PublicationColumns(spec.list), natural persons masked.
using PublicationRow = std::array<std::string, kPublicationColumns>;

// The rows of the entries part, in the document's order: the entries of spec.list that came
// into force in spec.quarter and count on spec.today. Every form of the publication (CSV, JSON,
// an Excel workbook) writes these rows and no others. `fn` is called once per row with a row
// it may read until it returns.
void ForEachPublishedEntry(const Snapshot& snap, const LiveOverlay& live,
                           const PublicationSpec& spec,
                           const std::function<void(const PublicationRow&)>& fn);
// The announcements part: each exit announcement of spec.list whose exit day lies in
// spec.quarter, in publication order, with the row of its entry as it exited.
void ForEachPublishedAnnouncement(
    const LiveOverlay& live, const PublicationSpec& spec,
    const std::function<void(const Announcement&, const PublicationRow&)>& fn);

// The whole document, appended to *out.
void WritePublication(const Snapshot& snap, const LiveOverlay& live, const PublicationSpec& spec,
                      std::string* out);
// text/csv; charset=utf-8 or application/json.
std::string_view PublicationContentType(PublicationFormat format);

// One CSV cell, quoted when it holds a comma, a quote, CR or LF (RFC 4180).
void AppendCsvCell(std::string_view cell, std::string* out);

}  // namespace credlist
