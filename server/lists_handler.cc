// The public list pages and the quarterly publication (API.md), for anyone:
//
//   GET /v1/lists/{red|black|watch}?department=&category=&memorandum=&page=&page_size=
//     → {"list","as_of","page","page_size","total","entries":[...]}: the entries of the list in
//     force today, filtered (engine/list_index.h), a page of them; natural persons masked for
//     anyone, whole for a token holder (server/encode.h). page is 1-based; page_size defaults
//     to 50, at most 500. An unknown department, category or memorandum gives an empty page.
//   GET /v1/publications/{YYYYQn}?list=red|black&format=csv|json|xlsx&part=entries|announcements
//     → the publication of engine/publication.h, masked for every caller (a public document,
//     the same bytes as `credlist export`), made once per snapshot, live overlay and spec
//     (engine/publication_cache.h) and copied into each answer.
//
// Bad values are 400 naming the field.
#include <charconv>

#include "engine/json_writer.h"
#include "engine/list_index.h"
#include "engine/publication.h"
#include "engine/publication_cache.h"
#include "formats/publication_xlsx.h"
#include "formats/xlsx_writer.h"
#include "server/encode.h"
#include "server/router.h"

namespace credlist {
namespace {

constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;
constexpr uint64_t kMaxPage = uint64_t{1} << 31;
constexpr size_t kMaxFilterBytes = 400;

bool ParseNumber(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

Status ParseListQuery(std::string_view list, std::string_view query, ListQuery* q) {
  std::optional<ListKind> kind = ParseListKind(list);
  if (!kind)
    return Status::Invalid("list", "'" + std::string(list) + "' is not a list (red, black, watch)");
  q->list = *kind;
  std::string text;
  for (auto [name, field] :
       {std::pair{"department", &q->department}, std::pair{"category", &q->category}}) {
    if (QueryParam(query, name, field) && field->size() > kMaxFilterBytes)
      return Status::Invalid(name, "is longer than " + std::to_string(kMaxFilterBytes) + " bytes");
  }
  if (QueryParam(query, "memorandum", &text) && !text.empty()) {
    std::optional<int> m = ParseMemorandumId(text);
    if (!m)
      return Status::Invalid("memorandum",
                             "'" + text + "' is not a memorandum id (P01-P43, R01-R05, J01-J03)");
    q->memorandum = *m;
  }
  uint64_t v = 0;
  if (QueryParam(query, "page", &text) && !text.empty()) {
    if (!ParseNumber(text, 1, kMaxPage, &v))
      return Status::Invalid("page",
                             "must be a whole number from 1 to " + std::to_string(kMaxPage));
    q->page = v;
  }
  q->page_size = kDefaultPageSize;
  if (QueryParam(query, "page_size", &text) && !text.empty()) {
    if (!ParseNumber(text, 1, kMaxPageSize, &v))
      return Status::Invalid("page_size",
                             "must be a whole number from 1 to " + std::to_string(kMaxPageSize));
    q->page_size = static_cast<uint32_t>(v);
  }
  return Status::Ok();
}

}  // namespace

void Router::GetList(std::string_view list, std::string_view query, const Principal& who, Worker& w,
                     Response* res) {
  ListQuery q;
  q.day = Today();
  if (Status s = ParseListQuery(PercentDecode(list), query, &q); !s.ok())
    return WriteProblem(s, res);
  const Snapshot& snap = w.snapshot.Get();
  const LiveOverlay& live = w.snapshot.Live();
  const std::shared_ptr<const ListIndex> index = lists_->Get(snap);
  const ListPage page = index->Page(snap, live, q);

  const Visibility vis = who.role == Role::kAnyone ? Visibility::kPublic : Visibility::kFull;
  JsonWriter out(&res->body);
  out.BeginObject();
  out.Key("list").String(ListKindName(q.list));
  out.Key("as_of").String(FormatDate(q.day));
  out.Key("page").Int(static_cast<int64_t>(q.page));
  out.Key("page_size").Int(q.page_size);
  out.Key("total").Int(static_cast<int64_t>(page.total));
  out.Key("entries").BeginArray();
  for (uint32_t i : page.entries) WriteEntry(snap, i, vis, out);
  for (const LiveEntry* e : page.live) WriteEntry(*e, vis, out);
  out.EndArray().EndObject();
}

void Router::GetPublication(std::string_view quarter, std::string_view query, Worker& w,
                            Response* res) {
  std::string list, format, part;
  QueryParam(query, "list", &list);
  QueryParam(query, "format", &format);
  QueryParam(query, "part", &part);
  // xlsx: the CSV document's cells as a workbook (formats/publication_xlsx.h).
  const bool xlsx = format == "xlsx";
  auto spec =
      MakePublicationSpec(PercentDecode(quarter), list, xlsx ? "csv" : format, part, Today());
  if (!spec.ok() && spec.status().field() == "format")  // the engine knows csv and json only
    return WriteProblem(Status::Invalid("format", "'" + format + "' is not csv, json or xlsx"),
                        res);
  if (!spec.ok()) return WriteProblem(spec.status(), res);
  const Snapshot& snap = w.snapshot.Get();
  if (xlsx) {
    const PublicationCsvFn csv = [&](const PublicationSpec& s) {
      return publications_->Get(snap, w.snapshot.Live(), s);
    };
    if (Status s = WritePublicationXlsx(*spec, csv, &res->body); !s.ok()) {
      res->body.clear();
      return WriteProblem(s, res);
    }
    res->content_type = kXlsxContentType;
    res->filename = PublicationXlsxFilename(*spec);
    return;
  }
  const std::shared_ptr<const std::string> document =
      publications_->Get(snap, w.snapshot.Live(), *spec);
  res->body.append(*document);
  res->content_type = PublicationContentType(spec->format);
}

}  // namespace credlist
