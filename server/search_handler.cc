// GET /v1/search?name=&list=&limit=: exact and similar names (API.md), for anyone.
//
// The answer is {"name": the name as asked, "results": [{"score", "match": "exact"|"similar",
// and the entry's fields as a check result's entries have them}]}: exact names first (score 1),
// then similar ones by score (engine/name_search.h). Entries under the life cycle are searched
// in their live version (engine/live.h): a snapshot entry a live entry supersedes is not
// returned as it was. Anyone without a token sees only the entries in force today, natural
// persons masked (encode.h); a token holder sees every entry, snapshot and live, unmasked. The
// index and the snapshot it was built from come together from the NameIndexCache, so that
// entry indices always refer to the snapshot they were built from; the live overlay's index
// comes from it too, built once per overlay version.
#include <charconv>
#include <cmath>

#include "engine/json_writer.h"
#include "engine/name_search.h"
#include "server/encode.h"
#include "server/router.h"

namespace credlist {
namespace {

constexpr size_t kDefaultLimit = 10;
constexpr size_t kMaxLimit = 100;
constexpr size_t kMaxNameBytes = 400;  // 100 CJK characters and then some

bool IsUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

Status ParseSearch(std::string_view query, std::string* name, NameSearchOptions* options) {
  std::string list, limit;
  if (!QueryParam(query, "name", name) || name->empty())
    return Status::Invalid("name", "is required");
  if (name->size() > kMaxNameBytes)
    return Status::Invalid("name", "is longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (!IsUtf8(*name)) return Status::Invalid("name", "is not valid UTF-8");
  if (NormaliseName(*name).empty())
    return Status::Invalid("name", "has no letter, digit or character to search for");
  if (QueryParam(query, "list", &list) && !list.empty()) {
    std::optional<ListKind> kind = ParseListKind(list);
    if (!kind) return Status::Invalid("list", "'" + list + "' is not a list (red, black, watch)");
    options->list = kind;
  }
  options->limit = kDefaultLimit;
  if (QueryParam(query, "limit", &limit) && !limit.empty()) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (ec != std::errc() || end != limit.data() + limit.size() || n < 1 || n > kMaxLimit)
      return Status::Invalid("limit",
                             "must be a whole number from 1 to " + std::to_string(kMaxLimit));
    options->limit = n;
  }
  return Status::Ok();
}

}  // namespace

void Router::Search(std::string_view query, const Principal& who, Response* res) {
  thread_local std::string name;
  name.clear();
  NameSearchOptions options;
  if (Status s = ParseSearch(query, &name, &options); !s.ok()) return WriteProblem(s, res);

  const std::shared_ptr<const SearchableSnapshot> view = names_->Get();
  const std::shared_ptr<const LiveNames> live = names_->GetLive();
  const Snapshot& snap = *view->snapshot;
  const Visibility vis = who.role == Role::kAnyone ? Visibility::kPublic : Visibility::kFull;
  std::optional<Day> counts_on;
  if (vis == Visibility::kPublic) counts_on = Today();
  const std::vector<SearchHit> hits =
      SearchNames(snap, *view->names, live.get(), name, options, counts_on);

  thread_local std::string entry;
  JsonWriter out(&res->body);
  out.BeginObject().Key("name").String(name).Key("results").BeginArray();
  for (const SearchHit& h : hits) {
    // The entry's own members after ours: WriteEntry writes a whole object, whose braces go.
    entry.clear();
    JsonWriter e(&entry);
    if (h.live != nullptr)
      WriteEntry(*h.live, vis, e);
    else
      WriteEntry(snap, h.match.id, vis, e);
    out.BeginObject();
    out.Key("score").Double(std::round(h.match.score * 10000) / 10000);
    out.Key("match").String(h.match.exact ? "exact" : "similar");
    if (entry.size() > 2) out.Raw(std::string_view(entry).substr(1, entry.size() - 2));
    out.EndObject();
  }
  out.EndArray().EndObject();
}

}  // namespace credlist
