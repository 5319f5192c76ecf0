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

bool Counts(const EntryRecord& r, Day day) {
  return CountsOn(r.state, r.in_force_on, r.exited_on, r.valid_from, r.valid_until, day);
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
      const EntryRecord& r = snap.record(i);
      if (!Counts(r, day)) continue;
      out->entries.push_back(i);
      const ListStatus s = StatusOf(r.list);
      if (s > out->status) out->status = s;
      red |= r.list == ListKind::kRed;
      black |= r.list == ListKind::kBlack;
    }
    for (uint32_t i : h.related)
      if (Counts(snap.record(i), day)) out->related.push_back(i);
  }
  out->conflict = red && black;
}

void Check(const Snapshot& snap, const LookupKey& key, Day day, CheckResult* out) {
  Hits hits[2];
  for (int k = 0; k < key.count; ++k) hits[k] = snap.Find(key.keys[k]);
  CheckHits(snap, hits, key, day, out);
}

}  // namespace credlist
