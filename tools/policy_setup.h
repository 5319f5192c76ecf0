// The policy catalogue of `credlist serve`: where its files are, and the measures kept in the
// data directory.
//
// The directory holding memoranda.tsv, departments.tsv and measures.tsv is, in order: the
// --policy flag, the CREDLIST_POLICY environment variable, share/credlist beside the installed
// binary (BIN/../share/credlist), and the source tree's data/ directory the binary was built
// from. A measures file put with PUT /v1/measures is kept as DATA/measures.tsv and, when
// present, replaces the policy directory's measures.tsv at the next start.
#pragma once

#include <string>

#include "engine/status.h"
#include "server/policy_handler.h"

namespace credlist {

// The policy directory for an empty --policy flag (see above); "" when none has the files.
std::string DefaultPolicyDir();

// Loads the policy of `policy_dir` (the measures of DATA/measures.tsv when that file exists),
// publishes it in service->catalog and sets service->persist to keep PUT measures files in
// `data_dir`. *summary: one line saying what was loaded from where.
Status SetUpPolicy(const std::string& policy_dir, const std::string& data_dir,
                   PolicyService* service, std::string* summary);

}  // namespace credlist
