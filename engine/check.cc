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
  out->Clear();
  out->key = key.keys[0];
  out->key_type = key.keys[0].type();
  bool red = false, black = false, chosen = false;
  for (int k = 0; k < key.count; ++k) {
    const Hits& h = hits[k];
    if (!chosen && (!h.subject.empty() || !h.related.empty())) {
      out->key = key.keys[k];
      out->key_type = key.keys[k].type();
      chosen = true;
    }
    for (uint32_t i : h.subject) {
      if (!snap.Counts(i, day)) continue;
      out->entries.push_back(i);
      const ListKind list = snap.record(i).list();
      const ListStatus s = StatusOf(list);
      if (s > out->status) out->status = s;
      red |= list == ListKind::kRed;
      black |= list == ListKind::kBlack;
    }
    for (uint32_t i : h.related)
      if (snap.Counts(i, day)) out->related.push_back(i);
  }
  out->conflict = red && black;
}

void Check(const Snapshot& snap, const LookupKey& key, Day day, CheckResult* out) {
  Hits hits[2];
  for (int k = 0; k < key.count; ++k) hits[k] = snap.Find(key.keys[k]);
  CheckHits(snap, hits, key, day, out);
}

}  // namespace credlist
