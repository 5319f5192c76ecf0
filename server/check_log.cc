#include "server/check_log.h"

#include <functional>

namespace credlist {
namespace {

// The calling thread's shard: threads take them in turn as they first count.
size_t ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % CheckCounters::kShards;
  return shard;
}

// Tells instances apart for the per-thread cache of Slot (an address may be reused).
uint64_t NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

CheckCounters::CheckCounters()
    : id_(NextId()),
      cells_(new Cell[2 * kShards * kMaxDepartments]),
      names_(new std::atomic<const std::string*>[kMaxDepartments]) {
  for (size_t i = 0; i < kMaxDepartments; ++i) names_[i].store(nullptr, std::memory_order_relaxed);
}

CheckCounters::~CheckCounters() {
  for (size_t i = 0; i < kMaxDepartments; ++i) delete names_[i].load(std::memory_order_relaxed);
}

int CheckCounters::Slot(std::string_view department) {
  // A thread tends to serve the same department again (one platform's token, a screen):
  // the last slot it found, checked by comparing the name, saves the hash.
  thread_local struct {
    uint64_t owner = 0;
    const std::string* name = nullptr;
    int slot = -1;
  } last;
  if (last.owner == id_ && *last.name == department) return last.slot;
  const int slot = Probe(department);
  if (slot >= 0)
    last = {id_, names_[static_cast<size_t>(slot)].load(std::memory_order_acquire), slot};
  return slot;
}

int CheckCounters::Probe(std::string_view department) {
  const size_t h = std::hash<std::string_view>{}(department);
  for (size_t probe = 0; probe < kMaxDepartments; ++probe) {
    const size_t i = (h + probe) & (kMaxDepartments - 1);
    const std::string* name = names_[i].load(std::memory_order_acquire);
    if (name == nullptr) {
      // First sight of this department (or a race for the slot): the one allocation.
      auto mine = std::make_unique<const std::string>(department);
      if (names_[i].compare_exchange_strong(name, mine.get(), std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
        mine.release();
        return static_cast<int>(i);
      }
      // Another thread took the slot: `name` is now its department.
    }
    if (*name == department) return static_cast<int>(i);
  }
  return -1;
}

void CheckCounters::Add(std::string_view department, Day day, uint64_t checks, uint64_t hits) {
  if (checks == 0 && hits == 0) return;
  const int slot = Slot(department);
  if (slot < 0) {
    dropped_.fetch_add(checks, std::memory_order_relaxed);
    return;
  }
  Cell& c = At(static_cast<int>(static_cast<uint32_t>(day) & 1u), ThreadShard(), slot);
  // The checks before the hits, which Take reads first: a Take never sees a hit without its
  // check.
  c.checks.fetch_add(checks, std::memory_order_relaxed);
  if (hits != 0) c.hits.fetch_add(hits, std::memory_order_release);
}

std::vector<CheckCount> CheckCounters::Take(Day today) {
  std::vector<CheckCount> out;
  for (size_t i = 0; i < kMaxDepartments; ++i) {
    const std::string* name = names_[i].load(std::memory_order_acquire);
    if (name == nullptr) continue;
    for (int parity = 0; parity < 2; ++parity) {
      uint64_t checks = 0, hits = 0;
      for (size_t shard = 0; shard < kShards; ++shard) {
        Cell& c = At(parity, shard, static_cast<int>(i));
        // A load first: most cells are zero, and an exchange would take their lines from
        // the threads that write them.
        if (c.hits.load(std::memory_order_relaxed) != 0)
          hits += c.hits.exchange(0, std::memory_order_acquire);
        if (c.checks.load(std::memory_order_relaxed) != 0)
          checks += c.checks.exchange(0, std::memory_order_relaxed);
      }
      if (checks == 0 && hits == 0) continue;
      const bool today_parity =
          (static_cast<uint32_t>(today) & 1u) == static_cast<uint32_t>(parity);
      out.push_back(CheckCount{today_parity ? today : today - 1, *name, checks, hits});
    }
  }
  return out;
}

}  // namespace credlist
