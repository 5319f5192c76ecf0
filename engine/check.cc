#include "engine/check.h"

namespace credlist {
namespace {

ListStatus StatusOf(ListKind list) {
  switch (list) {
    case ListKind::kRed:
      return ListStatus::kRed;
    case ListKind::kWatch:
      return ListStatus::kWatch;
    case ListKind::kBlack:
      break;
  }
  return ListStatus::kBlack;
}

}  // namespace

std::string_view ListStatusName(ListStatus s) {
  switch (s) {
    case ListStatus::kClear:
      return "clear";
    case ListStatus::kRed:
      return "red";
    case ListStatus::kWatch:
      return "watch";
    case ListStatus::kBlack:
      break;
  }
  return "black";
}

void CheckHits(const Snapshot& snap, const Hits* hits, const LookupKey& key, Day day,
               CheckResult* out) {
  CheckHits(snap, nullptr, hits, key, day, out);
}

void CheckHits(const Snapshot& snap, const LiveOverlay* live, const Hits* hits,
               const LookupKey& key, Day day, CheckResult* out) {
  out->Clear();
  out->key = key.keys[0];
  out->key_type = key.keys[0].type();
  if (live != nullptr && live->empty()) live = nullptr;
  bool red = false, black = false, chosen = false;
  auto add = [&](ListKind list) {
    const ListStatus s = StatusOf(list);
    if (s > out->status) out->status = s;
    red |= list == ListKind::kRed;
    black |= list == ListKind::kBlack;
  };
  for (int k = 0; k < key.count; ++k) {
    const Hits& h = hits[k];
    const LivePostings* lp = live ? live->Find(key.keys[k]) : nullptr;
    if (!chosen && (!h.subject.empty() || !h.related.empty() || lp != nullptr)) {
      out->key = key.keys[k];
      out->key_type = key.keys[k].type();
      chosen = true;
    }
    for (uint32_t i : h.subject) {
      if (!snap.Counts(i, day) || (live && live->Superseded(i))) continue;
      out->entries.push_back(i);
      add(snap.record(i).list());
    }
    for (uint32_t i : h.related)
      if (snap.Counts(i, day) && !(live && live->Superseded(i))) out->related.push_back(i);
    if (lp == nullptr) continue;
    for (const LiveEntry* e : lp->subject) {
      if (!LiveCounts(*e, day)) continue;
      out->live_entries.push_back(e);
      add(e->entry.list);
    }
    for (const LiveEntry* e : lp->related)
      if (LiveCounts(*e, day)) out->live_related.push_back(e);
  }
  out->conflict = red && black;
}

void Check(const Snapshot& snap, const LookupKey& key, Day day, CheckResult* out) {
  Check(snap, nullptr, key, day, out);
}

void Check(const Snapshot& snap, const LiveOverlay* live, const LookupKey& key, Day day,
           CheckResult* out) {
  Hits hits[2];
  for (int k = 0; k < key.count; ++k) hits[k] = snap.Find(key.keys[k]);
  CheckHits(snap, live, hits, key, day, out);
}

}  // namespace credlist
