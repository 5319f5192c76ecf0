// Synthetic list entries: realistic, valid and deterministic (`credlist generate`, the tests,
// the benchmarks and data/sample.ndjson).
//
// Contract. GenerateEntries(n, seed, fn) calls fn exactly n times, with entries that all pass
// MakeEntry (engine/validate.h) when written by AppendEntryNdjson and read back. The same
// (n, seed) gives the same entries on every machine and compiler: the generator uses its own
// PRNG (splitmix64) and its own integer arithmetic, never std::*_distribution. What the entries
// look like (DESIGN.md §2-3, the seed's 附件 2 and 3):
//   - lists: red ~30%, black ~55%, watch ~15%; subjects: legal persons ~70%, natural persons
//     ~25%, other organisations (社会团体, 民办非企业单位, 农民专业合作社, 个体工商户) ~5%;
//   - categories of the memoranda (失信被执行人 → P06, 重大税收违法案件当事人 → P15,
//     纳税信用A级纳税人 → R01, ...), each with its deciding department of 附件 2;
//   - Yingkou division codes (2108xx) in USCC positions 3-8 and in ID numbers; USCCs, ID
//     numbers and 工商注册号 (for ~40% of legal persons) with correct check characters, each
//     identifier unique to its subject (for n up to 3 x 10^8);
//   - subjects recur (a company may have several entries, on one list or, rarely, on red and
//     black at once) and legal representatives recur across companies (the `related` lookup);
//     some natural-person subjects are also the legal representative of a listed company;
//   - decided_on over 2019-01-01..2026-10-31; validity expired, current and open-ended
//     (valid_until null); state in_force; entry ids R-2108-0000001, B-2108-..., W-2108-...,
//     numbered per list, unique.
// The entries depend on n (the pools of subjects scale with it), so the first k entries of
// (n, seed) are not those of (k, seed).
//
// Thread-safety: the functions keep no state between calls; any number of threads may call
// them at once (each with its own callback and output).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "engine/entry.h"
#include "engine/status.h"

namespace credlist {

// Calls fn with each of the n entries of `seed`, in order. The Entry passed is reused between
// calls: copy it to keep it.
void GenerateEntries(uint64_t n, uint64_t seed, const std::function<void(const Entry&)>& fn);

// Appends one NDJSON line (API.md "Input records", with the trailing '\n') for `e`: entry_id,
// list, category, subject_type, name, uscc, reg_no, id_type, id_number, legal_rep,
// legal_rep_id_number, conduct, outcome, department, basis, decided_on, valid_from,
// valid_until, memoranda, state, and exit_reason when there is one. Absent strings,
// identifiers and dates are null (valid_until null: open-ended). MakeEntry reads the line back
// to the same entry; in_force_on and exited_on are no record fields and are not written.
void AppendEntryNdjson(const Entry& e, std::string* out);

// Writes the n entries of `seed` as NDJSON to `out` (left open), in the order GenerateEntries
// makes them, using every core (the bytes do not depend on how many). An I/O error is
// kIoError.
Status WriteNdjson(uint64_t n, uint64_t seed, std::FILE* out);
// The same to the file `path` (created or truncated); "-" is standard output.
Status WriteNdjson(uint64_t n, uint64_t seed, const std::string& path);

}  // namespace credlist
