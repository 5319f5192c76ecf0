// NDJSON loading on several threads, deterministic and in input order.
//
// The input (a regular file, mapped; or a buffer) is cut at line ends into slices of about
// ParallelOptions::slice_bytes. Worker threads parse the slices with NdjsonSliceParser
// (loaders/ndjson.h), each into a batch of entries and a LoadReport of its own; the calling
// thread takes the slices back strictly in input order, gives their rows their numbers in the
// whole input (the lines of the slices before, plus the row within the slice), merges their
// reports and hands each batch to the sink. So the sink gets exactly the entries that
// LoadNdjson / LoadNdjsonFile would give, in the same order (of two entries with one entry_id,
// the later in the input is delivered later: the last one wins downstream as in a sequential
// load), and the report is the same: rows, loaded, rejected, and the errors in row order,
// capped at LoadReport::kMaxErrors. The rules of a line are those of loaders/ndjson.h.
//
// Memory stays flat whatever the input size: at most 2 × threads slices are parsed and not yet
// delivered (a reorder window), so while the sink blocks (a writer behind), the workers stop;
// the mapped pages of delivered slices are dropped.
//
// Threads: the sink and LoadOptions::progress are called on the calling thread only, one call
// at a time, in input order; the workers call nothing of the caller's. The call returns once
// every worker has stopped. Separate calls are independent.
//
// A file that is not regular (a pipe, /dev/stdin) or cannot be mapped is read sequentially on
// the calling thread (LoadNdjsonFile) and delivered in batches the same way.
//
// Like the other loaders, it adds to *report (rows, loaded, rejected; errors while fewer than
// kMaxErrors). The returned Status is an error only when the input cannot be read at all, as for
// LoadNdjsonFile; bad records are in the report and never stop the load.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"
#include "loaders/load.h"

namespace credlist {

// Spent batches, for the loader to fill again: a sink that is done with a batch gives it back
// here, and a worker parses its next slice into it, reusing its entries and their strings'
// buffers (a load then allocates almost nothing per record). Holds at most kMaxBatches; any
// thread may call it.
class EntryBatchPool {
 public:
  static constexpr size_t kMaxBatches = 16;

  // A spent batch, or an empty one when none is left.
  std::vector<Entry> Take();
  void Give(std::vector<Entry> batch);  // freed here when the pool is full

 private:
  std::mutex mu_;
  std::vector<std::vector<Entry>> batches_;
};

struct ParallelOptions {
  // Worker threads that parse; 0: std::thread::hardware_concurrency() (1 when unknown). Never
  // more than there are slices.
  unsigned threads = 0;
  // About this many bytes a slice (a slice ends at a line end, so a longer line is one slice).
  // Small values are for tests; a few MiB keeps the hand-over cost negligible.
  size_t slice_bytes = size_t{4} << 20;
  // Where the workers take their batches from; nullptr: new ones each time.
  EntryBatchPool* pool = nullptr;
};

// Entries in input order, a batch at a time (never an empty one); the sink owns the batch.
using EntryBatchSink = std::function<void(std::vector<Entry>&& batch)>;

Status LoadNdjsonParallel(std::string_view data, const LoadOptions& options,
                          const ParallelOptions& parallel, const EntryBatchSink& sink,
                          LoadReport* report);

Status LoadNdjsonFileParallel(const std::string& path, const LoadOptions& options,
                              const ParallelOptions& parallel, const EntryBatchSink& sink,
                              LoadReport* report);

}  // namespace credlist
