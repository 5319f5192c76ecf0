// HugePageAllocator: a standard allocator for the index's big arrays, in transparent huge pages.
//
// A block of at least kHugePageBytes (2 MiB) gets its own mapping, 2 MiB-aligned and rounded up
// to whole 2 MiB pages, marked MADV_HUGEPAGE before it is touched, so that the kernel backs it
// with 2 MiB pages where it can (transparent huge pages in "madvise" or "always" mode). Random
// probes into arrays of hundreds of MB then need far fewer page walks. When the kernel has no
// transparent huge pages, madvise fails and the block stays in 4 KiB pages: nothing else
// changes. Smaller blocks, and every block when CREDLIST_NO_HUGE_PAGES is set in the
// environment (read once, at the first allocation; for measurements), come from operator new.
//
// An allocator may carry an AllocationRecord: it then notes there the last block it allocated,
// so that the owner of a container can tell where the container's storage is (Snapshot uses it
// to prefetch into its key map's storage; snapshot.cc). All copies and rebinds of an allocator
// share its record.
//
// Thread-safety: allocate and deallocate may be called from any thread at once; an
// AllocationRecord is written by allocate/deallocate and must not be read while another
// thread allocates through an allocator that carries it.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace credlist {

inline constexpr size_t kHugePageBytes = size_t{1} << 21;

// Whether large blocks are mapped in huge pages (CREDLIST_NO_HUGE_PAGES unset).
inline bool HugePagesWanted() {
  static const bool wanted = std::getenv("CREDLIST_NO_HUGE_PAGES") == nullptr;
  return wanted;
}

// The last block an allocator allocated (nullptr, 0 when it was freed or never allocated).
struct AllocationRecord {
  const void* data = nullptr;
  size_t bytes = 0;
};

namespace huge_alloc_internal {

inline bool IsHuge(size_t bytes) { return bytes >= kHugePageBytes && HugePagesWanted(); }
inline size_t Rounded(size_t bytes) { return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1); }

inline void* MapHuge(size_t bytes) {
  const size_t rounded = Rounded(bytes);
  // Map 2 MiB more than needed, then unmap the unaligned head and the tail.
  void* raw = mmap(nullptr, rounded + kHugePageBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + rounded + kHugePageBytes;
  if (end > aligned + rounded)
    munmap(reinterpret_cast<void*>(aligned + rounded), end - aligned - rounded);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, rounded, MADV_HUGEPAGE);  // no huge pages: 4 KiB pages, silently
  return p;
}

}  // namespace huge_alloc_internal

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  using is_always_equal = std::true_type;  // any copy frees what any other allocated

  HugePageAllocator() noexcept = default;
  explicit HugePageAllocator(AllocationRecord* record) noexcept : record_(record) {}
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>& other) noexcept : record_(other.record()) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    void* p = huge_alloc_internal::IsHuge(bytes) ? huge_alloc_internal::MapHuge(bytes)
                                                 : ::operator new(bytes, kAlign);
    if (record_ != nullptr) *record_ = {p, bytes};
    return static_cast<T*>(p);
  }

  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (record_ != nullptr && record_->data == p) *record_ = {};
    if (huge_alloc_internal::IsHuge(bytes))
      munmap(p, huge_alloc_internal::Rounded(bytes));
    else
      ::operator delete(p, kAlign);
  }

  AllocationRecord* record() const noexcept { return record_; }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }

 private:
  static constexpr std::align_val_t kAlign{alignof(T)};
  AllocationRecord* record_ = nullptr;
};

}  // namespace credlist
