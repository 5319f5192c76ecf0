// The compact binary form of a batch of entries, as the store keeps loads.
//
// A chunk holds up to a few thousand entries: a dictionary of their distinct strings (the
// categories, departments, bases and conduct texts of a load repeat in almost every row), then
// each entry as varints: dictionary indices for its strings, its identifiers as packed keys,
// its dates and enums. A chunk is self-contained and versioned (its first byte). Encoding and
// decoding are pure functions; thread-safe.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

// Appends the chunk of `entries` to *out.
void EncodeEntryChunk(std::span<const Entry> entries, std::string* out);

// Calls fn for each entry of a chunk, in order; the Entry is reused between calls. A chunk that
// is cut short or of an unknown version is an error, and then fn may have seen a prefix.
Status DecodeEntryChunk(std::string_view chunk, const std::function<void(const Entry&)>& fn);

}  // namespace credlist
