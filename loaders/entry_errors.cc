#include "loaders/entry_errors.h"

#include <algorithm>
#include <string>

namespace credlist {
namespace {

// Valid stand-ins: the identifiers pass their check characters (GB 32100, GS15, GB 11643).
constexpr std::string_view kStandInUscc = "914403001922038216";
constexpr std::string_view kStandInRegNo = "440301000000003";
constexpr std::string_view kStandInIdNumber = "11010519491231002X";

}  // namespace

bool ReplaceWithValid(std::string_view field, EntryFields* f) {
  if (field == "list") {
    f->list = "red";
  } else if (field == "name") {
    f->name = "-";
  } else if (field == "uscc") {
    f->uscc = kStandInUscc;
  } else if (field == "reg_no") {
    f->reg_no = kStandInRegNo;
  } else if (field == "id_number") {
    f->id_number = kStandInIdNumber;
  } else if (field == "legal_rep_id_number") {
    f->legal_rep_id_number = {};
  } else if (field == "subject_type") {
    f->subject_type = {};
  } else if (field == "decided_on") {
    f->decided_on = {};
  } else if (field == "valid_from") {
    f->valid_from = {};
  } else if (field == "valid_until") {
    f->valid_until = {};
  } else if (field == "memoranda") {
    f->memoranda.clear();
  } else if (field == "state") {
    f->state = {};
  } else if (field == "exit_reason") {
    f->exit_reason = "expired";
  } else if (field == "entry_id") {
    f->entry_id = {};
  } else if (field == "id_type" || field == "category" || field == "legal_rep" ||
             field == "conduct" || field == "outcome" || field == "department" ||
             field == "basis") {
    // Free text: MakeEntry has no error to give on these.
  } else {
    return false;
  }
  return true;
}

std::vector<Status> EntryFieldErrors(EntryFields fields, const Status& first,
                                     const std::vector<std::string_view>& replaced) {
  std::vector<Status> errors;
  std::vector<std::string> done(replaced.begin(), replaced.end());
  Status s = first;
  Entry scratch;
  while (!s.ok()) {
    const std::string& field = s.field();
    if (std::find(done.begin(), done.end(), field) != done.end()) break;  // a stand-in's echo
    errors.push_back(s);
    if (!ReplaceWithValid(field, &fields)) break;
    done.push_back(field);
    s = FillEntry(fields, &scratch);
  }
  return errors;
}

}  // namespace credlist
