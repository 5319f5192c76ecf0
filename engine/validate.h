// From the fields of an input record to a validated Entry.
//
// Every loader (NDJSON, the 报送表 CSV, a PostgreSQL table) and the HTTP API fill the same
// EntryFields with the record's text, by the field names of API.md, and call MakeEntry: one
// place decides what a valid entry is. Errors name the API field. Pure, thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

struct EntryFields {
  std::string_view entry_id;  // empty: a stable id is derived from the content
  std::string_view list;      // red | black | watch
  std::string_view category;
  std::string_view subject_type;  // empty: natural_person for an ID number alone, else legal_person
  std::string_view name;
  std::string_view uscc, reg_no, id_type, id_number;
  std::string_view legal_rep, legal_rep_id_number;
  std::string_view conduct, outcome, department, basis;
  std::string_view decided_on, valid_from, valid_until;  // YYYY-MM-DD; empty when absent
  std::vector<std::string_view> memoranda;
  std::string_view state;  // empty: in_force
  std::string_view exit_reason;
};

// The fields of a record that describe the entry as decided (API.md "Input records"), by
// name: every text field but state and exit_reason, which say where its life cycle stands.
// For the readers of records by field name (the API's submissions, the ledger's documents).
struct EntryTextField {
  std::string_view name;
  std::string_view EntryFields::*member;
};
inline constexpr EntryTextField kDecisionFields[] = {
    {"entry_id", &EntryFields::entry_id},
    {"list", &EntryFields::list},
    {"category", &EntryFields::category},
    {"subject_type", &EntryFields::subject_type},
    {"name", &EntryFields::name},
    {"uscc", &EntryFields::uscc},
    {"reg_no", &EntryFields::reg_no},
    {"id_type", &EntryFields::id_type},
    {"id_number", &EntryFields::id_number},
    {"legal_rep", &EntryFields::legal_rep},
    {"legal_rep_id_number", &EntryFields::legal_rep_id_number},
    {"conduct", &EntryFields::conduct},
    {"outcome", &EntryFields::outcome},
    {"department", &EntryFields::department},
    {"basis", &EntryFields::basis},
    {"decided_on", &EntryFields::decided_on},
    {"valid_from", &EntryFields::valid_from},
    {"valid_until", &EntryFields::valid_until},
};
// A snapshot's record may also carry where its entry stands (API.md "Input records").
inline constexpr EntryTextField kStandingFields[] = {
    {"state", &EntryFields::state},
    {"exit_reason", &EntryFields::exit_reason},
};

Result<Entry> MakeEntry(const EntryFields& f);

// MakeEntry into an existing entry, every field of it set; its strings keep their buffers (a
// loader that reuses its entries allocates nothing a record). On an error *e is left half
// filled: the caller overwrites or drops it.
Status FillEntry(const EntryFields& f, Entry* e);

// The entry_id that MakeEntry gives a record without one: "L-" and 16 hex digits of a hash of
// its content, so that the same row loaded twice is the same entry.
std::string DerivedEntryId(const EntryFields& f);

}  // namespace credlist
