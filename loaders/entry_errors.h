// Every bad field of a record, not only the first: a loader reports all of a rejected row's
// errors at once, so that whoever fixes the file fixes it in one pass.
//
// MakeEntry (engine/validate.h) stops at the first bad field; it stays the one place that
// decides what a valid entry is. EntryFieldErrors asks it again and again: after each error it
// replaces the named field with a value known to be valid (a well-formed identifier, an empty
// date, no memoranda) and calls it once more, until the record passes. So an error a
// replacement could cause never shows: a replaced field is never named twice. Only rejected
// records take this path (at most one call per field of EntryFields); valid ones pay nothing.
// Pure, thread-safe.
#pragma once

#include <vector>

#include "engine/status.h"
#include "engine/validate.h"

namespace credlist {

// The errors of `fields` in the order MakeEntry finds them, `first` (its first error, which
// the caller already has) included; empty when the record is valid. `replaced`, when given,
// names the fields the caller has already replaced because of errors of its own: errors on
// them are not reported again.
std::vector<Status> EntryFieldErrors(EntryFields fields, const Status& first,
                                     const std::vector<std::string_view>& replaced = {});

// A valid stand-in for `field` (an API field name, as in Status::field()) into `fields`,
// for a caller that has found that field bad itself and wants MakeEntry's view of the rest.
// False for a name that is not a field.
bool ReplaceWithValid(std::string_view field, EntryFields* fields);

}  // namespace credlist
