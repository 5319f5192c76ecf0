// JSON of entries and live entries: the API's records (API.md "Input records", GET
// /v1/entries/{id}) and the form the store keeps a live entry in (store/ledger_codec.h).
//
// Masking (engine/masking.h) applies when `mask` is set: a natural person's name and
// certificate number, and every legal representative's. Pure; append to the writer's string;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "engine/entry.h"
#include "engine/json_writer.h"
#include "engine/live.h"

namespace credlist {

// The members of an API.md record (without braces), with state and exit_reason.
void WriteEntryMembers(const Entry& e, bool mask, JsonWriter& w);

// The entry as a reader sees it on `today` (the API's form): its state then (EffectiveState;
// an exit the calendar made is `expired`), and, once a publicity has ended, the day after it
// as its day in force.
Entry ShownEntry(const LiveEntry& e, Day today);
// Its members in that form; no copy when the state stored is the one shown.
void WriteShownEntryMembers(const LiveEntry& e, Day today, bool mask, JsonWriter& w);

// How to write a live entry.
struct LiveJsonStyle {
  bool mask = false;
  // The store's form: the recorded state and the ledger's own members (review_from,
  // open_objections, confirmed_by_system). Otherwise the API's: the state on `today`
  // (EffectiveState).
  bool stored = false;
  Day today = kNoDay;
};

// A live entry as one object: the record, its life-cycle members and its history.
void WriteLiveEntry(const LiveEntry& e, const LiveJsonStyle& style, JsonWriter& w);

// Objections and repair applications (engine/lifecycle.h), whole: the store's form and the
// API's (their callers are the objector, the applicant and the deciding department).
struct Objection;
struct RepairApplication;
void WriteObjection(const Objection& o, JsonWriter& w);
void WriteRepair(const RepairApplication& r, JsonWriter& w);

// 2026-11-27T08:30:00.123+08:00 (Asia/Shanghai) for Unix milliseconds.
std::string FormatInstant(int64_t unix_ms);

}  // namespace credlist
