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

Result<Entry> MakeEntry(const EntryFields& f);

// The entry_id that MakeEntry gives a record without one: "L-" and 16 hex digits of a hash of
// its content, so that the same row loaded twice is the same entry.
std::string DerivedEntryId(const EntryFields& f);

}  // namespace credlist
