#include "engine/snapshot_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

namespace credlist {
namespace {

using snapshot_internal::KeyMapValue;

constexpr char kMagic[8] = {'C', 'R', 'D', 'L', 'S', 'N', 'A', 'P'};

// Sections, in file order (the table of contents lists them in this order).
enum Section : uint32_t {
  kTag,
  kRecords,
  kArena,
  kProfiles,
  kWideDates,
  kPostings,
  kEntryOrder,   // the entry-id index's elements (entry indices), in table order
  kEntryHashes,  // their hashes (XXH3-64 of the entry_id), in the same order
  kKeys0,        // keys_[0]'s slots, in table order
  kKeys1,        // keys_[1]'s
  kBitmaps,      // kListKinds sections, in ListKind order
  kSections = kBitmaps + kListKinds,
};

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t layout;  // SnapshotImage::Layout()
  uint64_t entries;
  int64_t conflicts_day;
  uint64_t conflicts;
  uint64_t route_limit;
  uint64_t key_buckets[2];  // bucket_count() of each key map
  uint64_t key_count[2];
  uint64_t entry_buckets;  // bucket_count() of the entry-id index
  uint64_t sections;       // kSections
  uint64_t checksum;       // XXH3-64 of the bytes before it
};
static_assert(sizeof(Header) == 104);

// An entry of the table of contents, which follows the header (its XXH3-64 after it).
struct TocEntry {
  uint64_t offset;  // from the start of the file
  uint64_t bytes;
  uint64_t checksum;  // XXH3-64 of the section's bytes
};

// A key map's slot as the file holds it (KeyMapValue, whose key is const).
struct Slot {
  snapshot_internal::PackedKey key;
  uint32_t value;
};
static_assert(sizeof(Slot) == sizeof(KeyMapValue));

// A wide-dates row (Snapshot::wide_dates_).
struct WideDates {
  uint32_t entry;
  int32_t days[5];
};
static_assert(sizeof(WideDates) == 24 && sizeof(EntryDates) == 20);

// Bytes written, read and hashed at a time.
constexpr size_t kPiece = size_t{4} << 20;

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

}  // namespace

// The in-memory layout the image copies bytes of: an image whose layout differs was written by
// a build with other records and is not read. (A change of what the bits of a record mean
// without a change of these needs a new kFormatVersion.)
uint32_t SnapshotImage::Layout() {
  const uint64_t facts[] = {sizeof(EntryRecord),
                            offsetof(EntryRecord, uscc_lo_),
                            offsetof(EntryRecord, uscc_top_),
                            offsetof(EntryRecord, entry_id_),
                            offsetof(EntryRecord, profile_),
                            offsetof(EntryRecord, days_),
                            offsetof(EntryRecord, flags_),
                            EntryRecord::kWideDates,
                            static_cast<uint64_t>(EntryRecord::kMaxDay16),
                            sizeof(EntryProfile),
                            sizeof(KeyMapValue),
                            snapshot_internal::kShapeShift,
                            snapshot_internal::kCountedShape,
                            static_cast<uint64_t>(kListKinds)};
  uint64_t h = XXH3_64bits(facts, sizeof facts);
  h = XXH3_64bits_withSeed(snapshot_internal::kRunShapes, sizeof snapshot_internal::kRunShapes, h);
  return static_cast<uint32_t>(h);
}

// (Computed with XXH3 itself: a build whose XXH3 hashed differently, and so would disagree with
// the entry-id hashes stored, sees another layout.)

namespace {

// Writes the sections one after another, after room for the header and the table of contents,
// which Finish writes at the start once the checksums are known.
class ImageWriter {
 public:
  ImageWriter(int fd, const std::atomic<bool>* cancel)
      : fd_(fd), cancel_(cancel), state_(XXH3_createState()) {
    buffer_.reserve(kPiece);
    at_ = sizeof(Header) + sizeof toc_ + sizeof(uint64_t);
  }
  ~ImageWriter() { XXH3_freeState(state_); }

  const Status& status() const { return status_; }

  void Begin(uint32_t id) {
    toc_[id].offset = at_ + buffer_.size();
    XXH3_64bits_reset(state_);
    section_ = id;
  }
  void Put(const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    toc_[section_].bytes += n;
    for (size_t done = 0; done < n;) {  // hashed a piece at a time, while in cache
      const size_t k = std::min(kPiece - buffer_.size(), n - done);
      XXH3_64bits_update(state_, c + done, k);
      buffer_.insert(buffer_.end(), c + done, c + done + k);
      done += k;
      if (buffer_.size() == kPiece) Flush();
    }
  }
  void End() { toc_[section_].checksum = XXH3_64bits_digest(state_); }
  void Whole(uint32_t id, const void* p, size_t n) {
    Begin(id);
    Put(p, n);
    End();
  }
  // Writes what is buffered, then the header and the table of contents at the start.
  void Finish(Header* h) {
    Flush();
    h->sections = kSections;
    h->checksum = XXH3_64bits(h, offsetof(Header, checksum));
    char head[sizeof(Header) + sizeof toc_ + sizeof(uint64_t)];
    std::memcpy(head, h, sizeof *h);
    std::memcpy(head + sizeof *h, toc_, sizeof toc_);
    const uint64_t toc_sum = XXH3_64bits(toc_, sizeof toc_);
    std::memcpy(head + sizeof *h + sizeof toc_, &toc_sum, sizeof toc_sum);
    WriteAt(head, sizeof head, 0);
  }

 private:
  void Flush() {
    WriteAt(buffer_.data(), buffer_.size(), at_);
    at_ += buffer_.size();
    buffer_.clear();
  }
  void WriteAt(const char* p, size_t n, uint64_t offset) {
    while (n > 0 && status_.ok()) {
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
        status_ = Status::Io("snapshot image: cancelled");
        return;
      }
      const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        status_ = Status::Io(std::string("snapshot image: write: ") + std::strerror(errno));
        return;
      }
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
  }

  int fd_;
  const std::atomic<bool>* cancel_;
  XXH3_state_t* state_;
  std::vector<char> buffer_;
  uint64_t at_;
  TocEntry toc_[kSections] = {};
  uint32_t section_ = 0;
  Status status_;
};

// Reads the sections that ImageWriter wrote, any of them from any thread (pread). Every
// failure is an Io status naming the file and the reason.
class ImageReader {
 public:
  ImageReader(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}

  Status Fail(std::string_view why) const {
    return Status::Io("snapshot image " + path_ + ": " + std::string(why));
  }

  // The header and the table of contents.
  Result<Header> Open() {
    Header h;
    if (Status s = ReadAt(&h, sizeof h, 0); !s.ok()) return s;
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return Fail("not a snapshot image");
    if (h.checksum != XXH3_64bits(&h, offsetof(Header, checksum)))
      return Fail("header: checksum mismatch");
    if (h.version != SnapshotImage::kFormatVersion)
      return Fail("format version " + std::to_string(h.version) + ", this build reads " +
                  std::to_string(SnapshotImage::kFormatVersion));
    if (h.sections != kSections) return Fail("header: " + std::to_string(h.sections) + " sections");
    uint64_t toc_sum;
    if (Status s = ReadAt(toc_, sizeof toc_, sizeof h); !s.ok()) return s;
    if (Status s = ReadAt(&toc_sum, sizeof toc_sum, sizeof h + sizeof toc_); !s.ok()) return s;
    if (toc_sum != XXH3_64bits(toc_, sizeof toc_))
      return Fail("table of contents: checksum mismatch");
    uint64_t end = sizeof h + sizeof toc_ + sizeof toc_sum;
    for (const TocEntry& e : toc_) {
      if (e.offset > size_ || e.bytes > size_ - e.offset) return Fail("truncated");
      end = std::max(end, e.offset + e.bytes);
    }
    if (end != size_) return Fail("bytes after the last section");
    return h;
  }

  uint64_t bytes(uint32_t id) const { return toc_[id].bytes; }

  // Section `id` whole into *v, sized to fit, its checksum checked.
  template <typename Vec>
  Status Whole(uint32_t id, std::string_view what, Vec* v) {
    using T = typename Vec::value_type;
    if (bytes(id) % sizeof(T) != 0)
      return Fail(std::string(what) + ": size " + std::to_string(bytes(id)));
    v->resize(bytes(id) / sizeof(T));
    return Stream(id, what, reinterpret_cast<char*>(v->data()), nullptr);
  }

  // Section `id` a piece at a time: into `to` when given (the whole section), else into a
  // buffer of its own; fn(piece, size) for each piece when given, then the checksum checked.
  template <typename Fn = std::nullptr_t>
  Status Stream(uint32_t id, std::string_view what, char* to, Fn fn) {
    const TocEntry& e = toc_[id];
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    std::unique_ptr<char[]> own;
    if (to == nullptr) own = std::make_unique_for_overwrite<char[]>(kPiece);
    Status s;
    for (uint64_t done = 0; done < e.bytes && s.ok();) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(kPiece, e.bytes - done));
      char* p = to != nullptr ? to + done : own.get();
      s = ReadAt(p, k, e.offset + done);
      if (!s.ok()) break;
      XXH3_64bits_update(state, p, k);
      if constexpr (!std::is_same_v<Fn, std::nullptr_t>) s = fn(p, k);
      done += k;
    }
    const uint64_t sum = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    if (!s.ok()) return s;
    if (sum != e.checksum) return Fail(std::string(what) + ": checksum mismatch");
    return Status::Ok();
  }

 private:
  Status ReadAt(void* p, size_t n, uint64_t offset) const {
    char* c = static_cast<char*>(p);
    if (offset > size_ || n > size_ - offset) return Fail("truncated");
    while (n > 0) {
      const ssize_t r = ::pread(fd_, c, std::min(n, size_t{64} << 20), static_cast<off_t>(offset));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Fail(std::string("read: ") + std::strerror(errno));
      if (r == 0) return Fail("truncated");
      c += r;
      n -= static_cast<size_t>(r);
      offset += static_cast<uint64_t>(r);
    }
    return Status::Ok();
  }

  int fd_;
  std::string path_;
  uint64_t size_;
  TocEntry toc_[kSections] = {};
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// The directory of a path ("." when it has none), for its fsync.
std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::Io(Errno("snapshot image: stat", path));
  return static_cast<uint64_t>(st.st_size);
}

// What rehash() takes to make a boost table of `buckets` slots again (groups of 15, one slot
// fewer in all; Snapshot::SizeKeyMaps).
size_t RehashArgument(uint64_t buckets) {
  const uint64_t groups = (buckets + 1) / 15;
  return groups == 0 ? 0 : static_cast<size_t>((groups - 1) * 15);
}

Result<std::string> ReadTagSection(ImageReader& r) {
  if (r.bytes(kTag) > 4096) return r.Fail("tag: size " + std::to_string(r.bytes(kTag)));
  std::string tag;
  if (Status s = r.Whole(kTag, "tag", &tag); !s.ok()) return s;
  return tag;
}

// Opens `path` for reading: NotFound when there is none.
Status OpenImage(const std::string& path, Fd* file) {
  file->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd >= 0) return Status::Ok();
  if (errno == ENOENT) return Status::NotFound("no snapshot image " + path);
  return Status::Io(Errno("snapshot image: open", path));
}

}  // namespace

Status SnapshotImage::Write(const Snapshot& snap, const std::string& path, std::string_view tag,
                            const std::atomic<bool>* cancel) {
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(serial.fetch_add(1, std::memory_order_relaxed));
  Fd file;
  file.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (file.fd < 0) return Status::Io(Errno("snapshot image: create", tmp));
  ImageWriter w(file.fd, cancel);

  w.Whole(kTag, tag.data(), tag.size());
  w.Whole(kRecords, snap.records_.data(), snap.records_.size() * sizeof(EntryRecord));
  w.Whole(kArena, snap.arena_.bytes_.data(), snap.arena_.bytes_.size());
  w.Whole(kProfiles, snap.profiles_.data(), snap.profiles_.size() * sizeof(EntryProfile));
  std::vector<WideDates> wide;
  wide.reserve(snap.wide_dates_.size());
  for (const auto& [i, d] : snap.wide_dates_)
    wide.push_back({i, {d.decided_on, d.valid_from, d.valid_until, d.in_force_on, d.exited_on}});
  std::sort(wide.begin(), wide.end(),
            [](const WideDates& a, const WideDates& b) { return a.entry < b.entry; });
  w.Whole(kWideDates, wide.data(), wide.size() * sizeof(WideDates));
  w.Whole(kPostings, snap.postings_.data(), snap.postings_.size() * sizeof(uint32_t));
  // Tables in their own order: read back in that order, the inserts walk memory sequentially.
  w.Begin(kEntryOrder);
  for (const uint32_t i : snap.entry_index_) w.Put(&i, sizeof i);
  w.End();
  w.Begin(kEntryHashes);
  for (const uint32_t i : snap.entry_index_) {
    const uint64_t hash = snap.entry_index_.hash_function()(i);
    w.Put(&hash, sizeof hash);
  }
  w.End();
  for (int m = 0; m < 2; ++m) {
    w.Begin(kKeys0 + m);
    for (const KeyMapValue& v : snap.keys_[m]) {
      const Slot slot{v.first, v.second};
      w.Put(&slot, sizeof slot);
    }
    w.End();
  }
  for (int l = 0; l < kListKinds; ++l) {
    std::vector<char> bytes(snap.lists_[l].getSizeInBytes(/*portable=*/true));
    snap.lists_[l].write(bytes.data(), /*portable=*/true);
    w.Whole(kBitmaps + l, bytes.data(), bytes.size());
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFormatVersion;
  h.layout = Layout();
  h.entries = snap.records_.size();
  h.conflicts_day = snap.conflicts_day_;
  h.conflicts = snap.conflicts_;
  h.route_limit = snap.route_limit_;
  for (int m = 0; m < 2; ++m) {
    h.key_buckets[m] = snap.keys_[m].bucket_count();
    h.key_count[m] = snap.keys_[m].size();
  }
  h.entry_buckets = snap.entry_index_.bucket_count();
  w.Finish(&h);

  Status s = w.status();
  if (s.ok() && ::fsync(file.fd) != 0) s = Status::Io(Errno("snapshot image: fsync", tmp));
  if (s.ok() && ::close(file.fd) != 0) s = Status::Io(Errno("snapshot image: close", tmp));
  file.fd = -1;
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Status::Io(Errno("snapshot image: rename to " + path + ":", tmp));
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename is durable once the directory is.
  Fd dir;
  dir.fd = ::open(DirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0 || ::fsync(dir.fd) != 0)
    return Status::Io(Errno("snapshot image: fsync the directory of", path));
  return Status::Ok();
}

Result<std::string> SnapshotImage::ReadTag(const std::string& path) {
  Fd file;
  if (Status s = OpenImage(path, &file); !s.ok()) return s;
  auto size = FileSize(file.fd, path);
  if (!size.ok()) return size.status();
  ImageReader r(file.fd, path, *size);
  auto h = r.Open();
  if (!h.ok()) return h.status();
  return ReadTagSection(r);
}

Result<std::shared_ptr<const Snapshot>> SnapshotImage::Read(const std::string& path,
                                                            std::string_view tag, Day today) {
  Fd file;
  if (Status s = OpenImage(path, &file); !s.ok()) return s;
  auto size = FileSize(file.fd, path);
  if (!size.ok()) return size.status();
  ImageReader r(file.fd, path, *size);
  auto header = r.Open();
  if (!header.ok()) return header.status();
  const Header& h = *header;
  if (h.layout != Layout()) return r.Fail("written by a build with another record layout");
  auto image_tag = ReadTagSection(r);
  if (!image_tag.ok()) return image_tag.status();
  if (*image_tag != tag)
    return r.Fail("stale: it reflects '" + *image_tag + "', the store is at '" + std::string(tag) +
                  "'");
  const uint64_t n64 = h.entries;
  if (n64 >= (uint64_t{1} << 31) || r.bytes(kEntryOrder) != n64 * sizeof(uint32_t) ||
      r.bytes(kEntryHashes) != n64 * sizeof(uint64_t) ||
      r.bytes(kRecords) != n64 * sizeof(EntryRecord) ||
      r.bytes(kKeys0) != h.key_count[0] * sizeof(Slot) ||
      r.bytes(kKeys1) != h.key_count[1] * sizeof(Slot) ||
      h.key_buckets[0] > 16 * r.bytes(kKeys0) + 64 ||
      h.key_buckets[1] > 16 * r.bytes(kKeys1) + 64 ||
      h.entry_buckets > 4 * r.bytes(kEntryHashes) + 64)
    return r.Fail("sizes out of range");
  const auto n = static_cast<uint32_t>(n64);

  auto snap = std::make_unique<Snapshot>();
  Snapshot& s = *snap;
  s.route_limit_ = h.route_limit;

  // Two threads, each reading its sections (pread) and filling its tables:
  //   this one: keys_[0] (the larger map), profiles, wide dates, bitmaps;
  //   the other: the entry-id index, keys_[1], records, arena.
  // A key map's slot must point inside the snapshot (checked after both finish).
  auto insert_slots = [&s, n](int m, const char* p, size_t bytes) {
    auto& map = s.keys_[m];
    const size_t postings = s.postings_.size();
    for (size_t at = 0; at + sizeof(Slot) <= bytes; at += sizeof(Slot)) {
      Slot v;
      std::memcpy(&v, p + at, sizeof v);
      const uint32_t shape = v.key.lo_high >> snapshot_internal::kShapeShift;
      bool ok;
      if (shape < 2) {
        ok = v.value < n;
      } else if (shape == snapshot_internal::kCountedShape) {
        ok = v.value < postings && postings - v.value - 1 >= (s.postings_[v.value] >> 16) +
                                                                 (s.postings_[v.value] & 0xFFFF);
      } else {
        const auto& c = snapshot_internal::kRunShapes[shape];
        ok = v.value <= postings && postings - v.value >= size_t{c.subject} + c.related;
      }
      if (!ok || !map.emplace(v.key, v.value).second)
        return Status::Io("key map: a slot out of place");
    }
    return Status::Ok();
  };
  // The postings first: both threads check slots against them.
  if (Status st = r.Whole(kPostings, "postings", &s.postings_); !st.ok()) return st;
  Status other;
  std::thread second([&] {
    other = [&]() -> Status {
      std::vector<uint32_t> order;
      std::vector<uint64_t> hashes;
      if (Status st = r.Whole(kEntryOrder, "entry index", &order); !st.ok()) return st;
      if (Status st = r.Whole(kEntryHashes, "entry index", &hashes); !st.ok()) return st;
      s.entry_index_.rehash(RehashArgument(h.entry_buckets));
      for (uint32_t k = 0; k < n; ++k) {
        if (order[k] >= n) return r.Fail("entry index: an entry past the last");
        s.known_entry_ = order[k];
        s.known_entry_hash_ = hashes[k];
        s.entry_index_.insert(order[k]);
      }
      s.known_entry_ = ~0u;
      if (s.entry_index_.size() != n) return r.Fail("entry index: an entry twice");
      std::vector<char> keys1;
      if (Status st = r.Whole(kKeys1, "key map", &keys1); !st.ok()) return st;
      s.keys_[1].rehash(RehashArgument(h.key_buckets[1]));
      if (Status st = insert_slots(1, keys1.data(), keys1.size()); !st.ok())
        return r.Fail(st.reason());
      if (Status st = r.Whole(kRecords, "records", &s.records_); !st.ok()) return st;
      return r.Whole(kArena, "arena", &s.arena_.bytes_);
    }();
  });
  Status mine = [&]() -> Status {
    if (Status st = r.Whole(kProfiles, "profiles", &s.profiles_); !st.ok()) return st;
    std::vector<WideDates> wide;
    if (Status st = r.Whole(kWideDates, "wide dates", &wide); !st.ok()) return st;
    for (const WideDates& w : wide) {
      if (w.entry >= n) return r.Fail("wide dates: an entry past the last");
      s.wide_dates_[w.entry] = {w.days[0], w.days[1], w.days[2], w.days[3], w.days[4]};
    }
    for (int l = 0; l < kListKinds; ++l) {
      std::vector<char> bytes;
      if (Status st = r.Whole(kBitmaps + l, "list bitmap", &bytes); !st.ok()) return st;
      try {
        s.lists_[l] = Roaring::readSafe(bytes.data(), bytes.size());
      } catch (const std::exception&) {
        return r.Fail("list bitmap: not a Roaring bitmap");
      }
      if (!s.lists_[l].isEmpty() && s.lists_[l].maximum() >= n)
        return r.Fail("list bitmap: an entry past the last");
    }
    s.keys_[0].rehash(RehashArgument(h.key_buckets[0]));
    return r.Stream(kKeys0, "key map", nullptr, [&](const char* p, size_t k) {
      Status st = insert_slots(0, p, k);
      return st.ok() ? st : r.Fail(st.reason());
    });
  }();
  second.join();
  if (!mine.ok()) return mine;
  if (!other.ok()) return other;

  // The records against the rest (the arena's strings start inside it; the profiles and wide
  // dates they name exist).
  if (s.arena_.bytes_.empty() || s.arena_.bytes_[0] != 0) return r.Fail("arena: no empty string");
  const size_t arena = s.arena_.bytes_.size(), profiles = s.profiles_.size();
  size_t wide_records = 0;
  for (const EntryRecord& rec : s.records_) {
    if (rec.entry_id_ >= arena || rec.name_ >= arena || rec.legal_rep_ >= arena ||
        rec.profile_ >= profiles)
      return r.Fail("records: a string or profile past the last");
    wide_records += (rec.flags_ & EntryRecord::kWideDates) != 0;
  }
  if (wide_records != s.wide_dates_.size()) return r.Fail("records: wide dates amiss");
  for (const auto& [i, d] : s.wide_dates_)
    if (!(s.records_[i].flags_ & EntryRecord::kWideDates))
      return r.Fail("records: wide dates amiss");

  s.SetHints();
  s.conflicts_day_ = static_cast<Day>(h.conflicts_day);
  s.conflicts_ = h.conflicts;
  if (s.conflicts_day_ != today) {
    s.conflicts_ = s.CountConflicts(today);
    s.conflicts_day_ = today;
  }
  s.version_ = Snapshot::NextVersion();
  return std::shared_ptr<const Snapshot>(snap.release());
}

}  // namespace credlist
