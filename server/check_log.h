// CheckCounters: the checks and hits of each checking department, counted in memory
// (API.md "Supervision rows"; engine/supervision.h).
//
// Count() runs on the check path of every server thread, so it takes no lock and, once a
// department has been seen, allocates nothing: a hash of the department's name, a probe of a
// fixed table (skipped when the thread's last department is the same), and relaxed atomic adds on
// the calling thread's own shard (kShards shards, each its own block of cache lines, so up to
// kShards threads never write the same line). The LedgerWriter calls Take() at most every second or
// so and commits what it returns: a crash loses at most the counts since the last Take
// (docs/data-directory.md).
//
// Days: the counters are kept per day's parity, so Take(today) gives the counts of the even
// and odd buckets to today and yesterday: exact as long as Take runs at least once a day.
// Departments: at most kMaxDepartments distinct names for the life of the process; checks of
// a department beyond that are not counted (dropped() says how many).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/date.h"
#include "engine/supervision.h"

namespace credlist {

class CheckCounters {
 public:
  static constexpr size_t kMaxDepartments = 1024;  // a power of two
  static constexpr size_t kShards = 8;

  CheckCounters();
  ~CheckCounters();
  CheckCounters(const CheckCounters&) = delete;
  CheckCounters& operator=(const CheckCounters&) = delete;

  // Counts `checks` checks on `day` for `department`, `hits` of which were hits.
  void Add(std::string_view department, Day day, uint64_t checks, uint64_t hits);
  // The counts since the last Take, non-zero ones only, each reset to zero.
  std::vector<CheckCount> Take(Day today);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Cell {
    std::atomic<uint64_t> checks{0};
    std::atomic<uint64_t> hits{0};
  };
  // The slot of `department`, made on first sight; -1 when the table is full.
  int Slot(std::string_view department);
  int Probe(std::string_view department);
  Cell& At(int parity, size_t shard, int slot) {
    return cells_[(static_cast<size_t>(parity) * kShards + shard) * kMaxDepartments +
                  static_cast<size_t>(slot)];
  }

  const uint64_t id_;
  std::unique_ptr<Cell[]> cells_;                             // [parity][shard][slot]
  std::unique_ptr<std::atomic<const std::string*>[]> names_;  // set once, never changed
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace credlist
