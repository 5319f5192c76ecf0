#include "loaders/parallel_ndjson.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "loaders/encoding.h"
#include "loaders/ndjson.h"

namespace credlist {
namespace {

constexpr uint64_t kProgressBytes = uint64_t{4} << 20;  // progress is reported this often
constexpr size_t kSequentialBatch = 4096;               // entries a batch when not parallel

// One slice of the input: where it is and, once parsed, what it gave.
struct Slice {
  size_t end = 0;      // offset just past its last byte
  uint64_t lines = 0;  // physical lines, blank ones included
  std::vector<Entry> entries;
  LoadReport report;  // rows numbered from 1 at the slice's first line
  bool parsed = false;
};

// Workers take slices in input order and parse them; the calling thread delivers them in the
// same order. Slice number n lives in window_[n % window_.size()] from when a worker takes it
// until it is delivered; a worker takes slice n only once slice n - window_.size() is
// delivered, which bounds the slices in memory.
class SliceScheduler {
 public:
  SliceScheduler(std::string_view data, size_t start, const LoadOptions& options,
                 const ParallelOptions& parallel)
      : data_(data),
        options_(options),
        slice_bytes_(std::max<size_t>(parallel.slice_bytes, 1)),
        pool_(parallel.pool),
        cursor_(std::min(start, data.size())) {
    unsigned threads = parallel.threads ? parallel.threads : std::thread::hardware_concurrency();
    const uint64_t slices = (data_.size() - cursor_) / slice_bytes_ + 1;
    threads_ = static_cast<unsigned>(std::clamp<uint64_t>(threads, 1, slices));
    window_.resize(2 * size_t{threads_});
  }

  // Runs the workers and calls deliver(Slice&&) for every slice, in input order, on this
  // thread. Returns once the workers are done.
  template <typename Deliver>
  void Run(Deliver deliver) {
    std::vector<std::thread> workers;
    workers.reserve(threads_);
    for (unsigned i = 0; i < threads_; ++i) workers.emplace_back([this] { Work(); });
    std::unique_lock lock(mu_);
    for (;;) {
      Slice& slot = window_[delivered_ % window_.size()];
      parsed_cv_.wait(lock, [&] { return slot.parsed || (AllTaken() && delivered_ == taken_); });
      if (!slot.parsed) break;
      Slice slice = std::move(slot);
      slot = Slice{};
      ++delivered_;
      lock.unlock();
      window_cv_.notify_all();
      deliver(std::move(slice));
      lock.lock();
    }
    lock.unlock();
    for (std::thread& t : workers) t.join();
  }

 private:
  bool AllTaken() const { return cursor_ == data_.size(); }

  void Work() {
    NdjsonSliceParser parser(options_);
    size_t expected = 0;  // entries of this worker's last slice: a guess at the next
    std::unique_lock lock(mu_);
    for (;;) {
      window_cv_.wait(lock, [&] { return AllTaken() || taken_ - delivered_ < window_.size(); });
      if (AllTaken()) return;
      const uint64_t number = taken_++;
      const size_t begin = cursor_;
      cursor_ = NdjsonSliceEnd(data_, begin, slice_bytes_);
      if (AllTaken()) window_cv_.notify_all();  // the other workers may stop
      Slice& slot = window_[number % window_.size()];
      slot.end = cursor_;
      lock.unlock();
      // The slot is this worker's alone until `parsed` is set under the lock.
      if (pool_ != nullptr) slot.entries = pool_->Take();
      slot.entries.reserve(expected + expected / 8);
      slot.lines = parser.Parse(data_.substr(begin, slot.end - begin), data_.size() - begin, 1,
                                &slot.entries, &slot.report);
      expected = slot.entries.size();
      lock.lock();
      slot.parsed = true;
      if (number == delivered_) parsed_cv_.notify_one();
    }
  }

  const std::string_view data_;
  const LoadOptions& options_;
  const size_t slice_bytes_;
  EntryBatchPool* const pool_;
  unsigned threads_ = 1;

  std::mutex mu_;
  std::condition_variable window_cv_;  // a slot is free, or every slice is taken
  std::condition_variable parsed_cv_;  // the next slice to deliver is parsed
  size_t cursor_;                      // where the next slice to take begins
  uint64_t taken_ = 0;                 // slices taken by workers
  uint64_t delivered_ = 0;             // slices delivered
  std::vector<Slice> window_;
};

// Delivers slices: renumbers their rows, merges their reports, calls the sink and progress.
class Merger {
 public:
  Merger(const LoadOptions& options, uint64_t total, const EntryBatchSink& sink, LoadReport* report)
      : options_(options), total_(total), sink_(sink), report_(report) {}

  void Add(Slice&& slice) {
    report_->rows += slice.report.rows;
    report_->loaded += slice.report.loaded;
    report_->rejected += slice.report.rejected;
    for (RowError& e : slice.report.errors)
      report_->AddError(lines_ + e.row, std::move(e.field), std::move(e.reason));
    report_->errors_unlisted += slice.report.errors_unlisted;
    for (RowError& e : slice.report.warnings)
      report_->Warn(lines_ + e.row, std::move(e.field), std::move(e.reason));
    report_->warned += slice.report.warned - slice.report.warnings.size();
    lines_ += slice.lines;
    if (!slice.entries.empty()) sink_(std::move(slice.entries));
    if (options_.progress && slice.end >= next_progress_) {
      options_.progress(slice.end, total_);
      next_progress_ = slice.end + kProgressBytes;
    }
  }
  void End() {
    if (options_.progress) options_.progress(total_, total_);
  }

 private:
  const LoadOptions& options_;
  const uint64_t total_;
  const EntryBatchSink& sink_;
  LoadReport* const report_;
  uint64_t lines_ = 0;  // lines of the slices delivered
  uint64_t next_progress_ = kProgressBytes;
};

// `data` from `start` (past a BOM) on, in parallel; after each slice, dropped(end).
template <typename Delivered>
void ScanParallel(std::string_view data, const LoadOptions& options,
                  const ParallelOptions& parallel, const EntryBatchSink& sink, LoadReport* report,
                  Delivered delivered) {
  const size_t start = HasUtf8Bom(data) ? kUtf8Bom.size() : 0;
  Merger merger(options, data.size(), sink, report);
  SliceScheduler(data, start, options, parallel).Run([&](Slice&& slice) {
    const size_t end = slice.end;
    merger.Add(std::move(slice));
    delivered(end);
  });
  merger.End();
}

// Not a mappable file: LoadNdjsonFile on this thread, its entries in batches.
Status LoadSequential(const std::string& path, const LoadOptions& options,
                      const EntryBatchSink& sink, LoadReport* report) {
  std::vector<Entry> batch;
  Status s = LoadNdjsonFile(
      path, options,
      [&](Entry&& e) {
        batch.push_back(std::move(e));
        if (batch.size() == kSequentialBatch) {
          sink(std::move(batch));
          batch = {};
        }
      },
      report);
  if (!batch.empty()) sink(std::move(batch));
  return s;
}

}  // namespace

std::vector<Entry> EntryBatchPool::Take() {
  std::lock_guard lock(mu_);
  if (batches_.empty()) return {};
  std::vector<Entry> batch = std::move(batches_.back());
  batches_.pop_back();
  return batch;
}

void EntryBatchPool::Give(std::vector<Entry> batch) {
  std::lock_guard lock(mu_);
  if (batches_.size() < kMaxBatches) batches_.push_back(std::move(batch));
}

Status LoadNdjsonParallel(std::string_view data, const LoadOptions& options,
                          const ParallelOptions& parallel, const EntryBatchSink& sink,
                          LoadReport* report) {
  ScanParallel(data, options, parallel, sink, report, [](size_t) {});
  return Status::Ok();
}

Status LoadNdjsonFileParallel(const std::string& path, const LoadOptions& options,
                              const ParallelOptions& parallel, const EntryBatchSink& sink,
                              LoadReport* report) {
  // Decided before opening: opening a FIFO twice could lose what its writer already wrote.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return LoadSequential(path, options, sink, report);  // reports a missing file too
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Io(path + ": " + std::strerror(errno));
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) return LoadSequential(path, options, sink, report);
  ::madvise(map, size, MADV_SEQUENTIAL);
  auto* base = static_cast<char*>(map);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t dropped = 0;
  // Workers read only slices not yet delivered (and padding past their end, harmless if
  // dropped: a dropped page of a private read-only mapping reads back from the file).
  ScanParallel(std::string_view(base, size), options, parallel, sink, report, [&](size_t end) {
    const size_t upto = end / page * page;
    if (upto > dropped) {
      ::madvise(base + dropped, upto - dropped, MADV_DONTNEED);
      dropped = upto;
    }
  });
  ::munmap(map, size);
  return Status::Ok();
}

}  // namespace credlist
