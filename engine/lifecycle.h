// Lifecycle: the transitions of a list entry (seed 二, 五, 六; DESIGN.md §4; API.md "Life cycle").
//
//  submitted ──cross-check──► publicity ──no objection──► in_force ──► exited (reason)
//      └─► rejected                └─ objection ─► under_review ─ upheld ─► cancelled / exited
//                                                       └─ dismissed ─► back where it was
//
// A Ledger is the writer's state: the live entries (live.h) over the loaded snapshot, the
// objections and repair applications, and the exit announcements. Each command checks
// everything first and then changes the ledger, so a refused command changes nothing; its
// Status says why: InvalidArgument naming the field, NotFound, PermissionDenied (another
// department's entry), Conflict (not allowed from the current state, or not yet). What the
// commands changed since the last TakeChange() is what the store must commit (store/) before
// the writer publishes overlay() to readers and acknowledges. If the store fails, the writer
// drops this Ledger and restores a new one from the store.
//
// Time is given, never read: each command takes a Clock (the day and the instant it runs), so
// that tests replay a city's year in a second. Dates given by clients may lie in the past (a
// city moving its paper records in); the consequences are dated from them: an entry whose
// publicity ended last month is in force from the day after it ended, and the red entries of
// its subject exit on that day. Settle() records what the calendar did by itself (publicity
// ended with no objection, validity ended) and runs before every batch of commands.
//
// Not thread-safe: one writer thread owns a Ledger. Readers see its published overlay().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/calendar.h"
#include "engine/live.h"
#include "engine/snapshot.h"
#include "engine/status.h"

namespace credlist {

struct Clock {
  Day today = kNoDay;
  int64_t now_ms = 0;  // Unix milliseconds
};

// Who asks. Roles as API.md "Roles"; "system" is the ledger itself.
struct Actor {
  std::string id;          // token id ("" for anyone)
  std::string role;        // anyone, checker, department, admin
  std::string department;  // a department token's department
  bool admin() const { return role == "admin"; }
  bool department_role() const { return role == "department"; }
};

struct Objection {
  std::string objection_id;
  std::string entry_id;
  std::string objector, contact, reason;
  std::vector<std::string> materials;
  int64_t filed_ms = 0;
  Day filed_on = kNoDay;
  std::string status = "open";  // open, upheld, dismissed, closed
  std::string reply, correction;
  std::string decided_by;
  int64_t decided_ms = 0;
};

struct RepairApplication {
  std::string repair_id;
  std::string entry_id;
  std::string applicant, reason;
  std::vector<std::string> materials;
  int64_t filed_ms = 0;
  Day filed_on = kNoDay;
  std::string status = "open";  // open, approved, refused, closed
  std::string reply;
  std::string decided_by;
  int64_t decided_ms = 0;
};

// What the commands since the last TakeChange() wrote: the store commits exactly this.
struct LedgerChange {
  std::vector<LivePtr> entries;  // new versions; an entry_id may come more than once
  std::vector<Objection> objections;
  std::vector<RepairApplication> repairs;
  std::vector<Announcement> announcements;
  bool empty() const {
    return entries.empty() && objections.empty() && repairs.empty() && announcements.empty();
  }
};

struct LedgerOptions {
  WorkCalendar calendar;
  int publicity_working_days = 7;  // the seed fixes none; DESIGN.md §4 makes it configuration
};

// An entry to submit, as parsed from the request (engine/validate.h made `entry`).
struct Submission {
  Entry entry;
  Severity severity = Severity::kNone;
};

class Ledger {
 public:
  Ledger(std::shared_ptr<const Snapshot> base, LedgerOptions options);

  // Restoring from the store, before any command: the stored state as it was committed.
  void RestoreEntry(LiveEntry entry);
  void RestoreObjection(Objection o);
  void RestoreRepair(RepairApplication r);
  void RestoreAnnouncement(Announcement a);
  // Ends the restore: the overlay is built and published as overlay().
  void FinishRestore();

  // Commands. Results are the entries as they are after the command.
  Result<std::vector<LivePtr>> Submit(std::vector<Submission> items, const Actor& who,
                                      const Clock& clock);
  Result<LivePtr> Notify(std::string_view entry_id, Day notified_on, std::string channel,
                         const Actor& who, const Clock& clock);
  Result<LivePtr> Publicize(std::string_view entry_id, std::optional<Day> from,
                            std::optional<Day> until, const Actor& who, const Clock& clock);
  Result<LivePtr> Confirm(std::string_view entry_id, const Actor& who, const Clock& clock);
  Result<LivePtr> Exit(std::string_view entry_id, ExitReason reason, std::string note,
                       std::optional<Day> on, const Actor& who, const Clock& clock);
  Result<Objection> Object(std::string_view entry_id, Objection o, const Actor& who,
                           const Clock& clock);
  Result<Objection> DecideObjection(std::string_view objection_id, bool upheld, std::string reply,
                                    std::string correction, const Actor& who, const Clock& clock);
  Result<RepairApplication> ApplyRepair(std::string_view entry_id, RepairApplication r,
                                        const Actor& who, const Clock& clock);
  Result<RepairApplication> DecideRepair(std::string_view repair_id, bool approved,
                                         std::string reply, const Actor& who, const Clock& clock);
  // Records the confirmations and expiries due by `clock.today`.
  void Settle(const Clock& clock);

  // The entry by id: live, or from the snapshot (null when unknown). Reads the pending state.
  LivePtr FindEntry(std::string_view entry_id) const;
  const Objection* FindObjection(std::string_view id) const;
  const RepairApplication* FindRepair(std::string_view id) const;

  // What changed since the last call, and the overlay that shows it. After TakeChange, the
  // changes are part of overlay() (publish it once the store has committed them).
  LedgerChange TakeChange();
  std::shared_ptr<const LiveOverlay> overlay() const { return published_; }
  const Snapshot& base() const { return *base_; }

 private:
  // The live copy of an entry to change: the current live entry, or a new one adopted from
  // the snapshot.
  std::shared_ptr<LiveEntry> Editable(std::string_view entry_id) const;
  void Put(std::shared_ptr<LiveEntry> e);
  void AddEvent(LiveEntry& e, std::string event, Day on, const Actor& who, const Clock& clock,
                std::string reason = {}, std::string payload = {});
  Status CheckDepartment(const Entry& e, const Actor& who) const;
  // Makes e in force from `on` (confirmation), with the cross-check consequences.
  void ComeIntoForce(LiveEntry& e, Day on, const Actor& who, const Clock& clock);
  void ExitEntry(LiveEntry& e, ExitReason reason, Day on, std::string note, const Actor& who,
                 const Clock& clock);
  // The entries (snapshot and live) of the subject with e's identifiers, other than e.
  std::vector<LivePtr> SubjectEntries(const Entry& e) const;
  void Track(const LiveEntry& e);  // the queues Settle reads
  std::string NextId(const char* prefix, uint64_t* counter);

  std::shared_ptr<const Snapshot> base_;
  LedgerOptions options_;
  std::shared_ptr<const LiveOverlay> published_;
  std::unique_ptr<OverlayEditor> editor_;
  LedgerChange change_;
  boost::unordered_flat_map<std::string, Objection> objections_;
  boost::unordered_flat_map<std::string, RepairApplication> repairs_;
  std::set<std::pair<Day, std::string>> publicity_due_;  // (until, entry_id)
  std::set<std::pair<Day, std::string>> expiry_due_;     // (valid_until, entry_id)
  uint64_t next_objection_ = 1;
  uint64_t next_repair_ = 1;
  uint64_t next_announcement_ = 1;
};

}  // namespace credlist
