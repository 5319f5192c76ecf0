// AuditRecord: one check of a natural person by a token holder (PIPL; API.md "Roles";
// DESIGN.md §4 "Audit"). Written by the server, kept by the store (store/ledger_store.h) for
// the admin's GET /v1/audit. A plain value.
#pragma once

#include <cstdint>
#include <string>

#include "engine/date.h"

namespace credlist {

struct AuditRecord {
  int64_t at_ms = 0;  // Unix milliseconds
  std::string token_id;
  std::string role;
  std::string department;
  std::string route;     // subjects, check, screen
  std::string scenario;  // as the caller gave it; "" for none
  std::string subject;   // the ID number checked, canonical
  std::string status;    // the check's status: black, watch, red, clear
  std::string check_id;
  std::string auth_ref;  // the authorisation reference the caller cited, "" for none
};

struct AuditQuery {
  std::string subject;  // "" for every subject
  int64_t since_ms = 0;
  size_t limit = 1000;
};

}  // namespace credlist
