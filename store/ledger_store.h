// LedgerStore: the durable half of the life cycle (engine/lifecycle.h) and the audit log.
//
// `DIR/ledger.db`, an SQLite file of its own beside credlist.db (docs/data-directory.md):
// small pages for small writes, where credlist.db has large ones for bulk loads. Tables
// live_entries, objections, repairs, announcements and audit; created with mode 0600. A live
// entry, an objection and a repair application are each one JSON document (the form of
// engine/live_json.h), replaced whole when they change; announcements and audit records are
// appended. Commit writes one LedgerChange and a batch of audit records in one transaction
// (synchronous=FULL): OK means durable, and after a crash the tables hold exactly the
// committed transactions. Restore reads them back into a Ledger in the order they were
// written.
//
// The check log (engine/supervision.h) lives here too: per day and department counts of
// checks, one row per hit that listed measures (check_hits), and the feedback on them. A
// commit adds the counts, appends the hits, and checks and records each feedback against the
// hits, all in the same transaction as the life cycle's changes.
//
// Its own SQLite connection: the life cycle's writer thread owns one LedgerStore, so its
// group commits never wait on the thread that reads tokens. Not thread-safe: one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/audit.h"
#include "engine/lifecycle.h"
#include "engine/status.h"
#include "engine/supervision.h"

namespace credlist {

// What the check log adds to a commit.
struct CheckLogBatch {
  std::vector<CheckCount> counts;  // added to the stored counts of their day and department
  std::vector<CheckHit> hits;      // appended (a check_id already stored is left as it is)
  // Each checked against the stored hits after `hits` are written, then recorded; the
  // commit sets its outcome. A refused one (no such check or measure, another department)
  // writes nothing and does not fail the commit.
  std::vector<FeedbackRequest*> feedback;
  bool empty() const { return counts.empty() && hits.empty() && feedback.empty(); }
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  Status Commit(const LedgerChange& change, const std::vector<AuditRecord>& audit) {
    CheckLogBatch none;
    return Commit(change, audit, &none);
  }
  // `checks` may be null.
  virtual Status Commit(const LedgerChange& change, const std::vector<AuditRecord>& audit,
                        CheckLogBatch* checks) = 0;
  // Replays what is stored into `ledger` (RestoreEntry, ..., then FinishRestore). A document
  // that does not parse is an IoError naming its table and key.
  virtual Status Restore(Ledger* ledger) = 0;
  // Audit records, oldest first, at most query.limit.
  virtual Result<std::vector<AuditRecord>> ReadAudit(const AuditQuery& query) = 0;
  // Per checking department, the checks of the days [from, to] (kNoDay: an open end), with
  // the hits with measures that lack feedback for some listed measure.
  virtual Result<std::vector<DepartmentChecks>> ReadDepartmentChecks(Day from, Day to) = 0;
};

inline constexpr char kLedgerFileName[] = "ledger.db";

// Opens (creating when needed) the ledger of a data directory.
Result<std::unique_ptr<LedgerStore>> OpenLedgerStore(const std::string& data_dir);

// The live overlay of a data directory over `base`, as committed (for `credlist check` and
// `screen`, which read and never write).
Result<std::shared_ptr<const LiveOverlay>> ReadLiveOverlay(const std::string& data_dir,
                                                           std::shared_ptr<const Snapshot> base);

}  // namespace credlist
