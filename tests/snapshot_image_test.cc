// The snapshot image (engine/snapshot_image.h, store/restore.h): an image read back is the
// snapshot it was written from; a stale, truncated or corrupt image is refused, and the store
// is rebuilt from instead.
#include "engine/snapshot_image.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/restore.h"
#include "store/sqlite_store.h"
#include "tools/generator.h"

namespace credlist {
namespace {

namespace fs = std::filesystem;

constexpr Day kDay = 20454;  // 2026-01-01

// Generated entries, some changed so that every part of the snapshot has something: dates that
// do not fit 16 bits, a superseded entry_id, red and black entries of one subject.
std::vector<Entry> Entries(uint64_t n) {
  std::vector<Entry> out;
  GenerateEntries(n, 3, [&](const Entry& e) { out.push_back(e); });
  out[1].decided_on = -40;       // before 1970: kept beside the record
  out[2].valid_until = 0x20000;  // after 2149
  out[3].exited_on = 0x1FFFF;    // a wide exit date
  Entry again = out[5];          // the same entry_id later: replaces it
  again.name = "后来的名称";
  out.push_back(again);
  for (int k = 0; k < 2; ++k) {  // one subject on the red and the black list
    Entry e = out[10 + k];
    e.entry_id = "conflict-" + std::to_string(k);
    e.uscc = out[10].uscc;
    e.list = k == 0 ? ListKind::kRed : ListKind::kBlack;
    e.state = State::kInForce;
    e.valid_from = kDay - 10;
    e.valid_until = kForever;
    e.in_force_on = kDay - 10;
    e.exited_on = kNoDay;
    out.push_back(e);
  }
  return out;
}

std::shared_ptr<const Snapshot> Build(const std::vector<Entry>& entries, Day day) {
  SnapshotBuilder b;
  for (const Entry& e : entries) b.Add(e);
  return b.Build(day);
}

std::string Text(const Entry& e) {
  std::string s;
  AppendEntryNdjson(e, &s);
  return s + std::to_string(e.in_force_on) + " " + std::to_string(e.exited_on);
}

std::vector<uint32_t> Vec(std::span<const uint32_t> s) { return {s.begin(), s.end()}; }

// Everything a reader can ask of the two snapshots is the same.
void ExpectSame(const Snapshot& a, const Snapshot& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.conflicts(), b.conflicts());
  EXPECT_EQ(a.conflicts_day(), b.conflicts_day());
  EXPECT_EQ(a.MemoryBytes(), b.MemoryBytes());
  EXPECT_EQ(a.Memory().key_count, b.Memory().key_count);
  EXPECT_EQ(a.Memory().key_slots, b.Memory().key_slots);
  EXPECT_EQ(a.Memory().batch_hints, b.Memory().batch_hints);
  for (int l = 0; l < kListKinds; ++l)
    EXPECT_TRUE(a.list_bitmap(static_cast<ListKind>(l)) == b.list_bitmap(static_cast<ListKind>(l)));
  std::vector<Key> keys;
  for (uint32_t i = 0; i < a.size(); ++i) {
    const Entry e = a.ToEntry(i);
    ASSERT_EQ(Text(e), Text(b.ToEntry(i))) << i;
    EXPECT_EQ(b.FindEntry(e.entry_id), static_cast<int64_t>(i));
    for (const Key& k : {e.uscc, e.reg_no, e.id_number, e.legal_rep_id}) {
      if (k.empty()) continue;
      keys.push_back(k);
      const Hits x = a.Find(k), y = b.Find(k);
      ASSERT_EQ(Vec(x.subject), Vec(y.subject));
      ASSERT_EQ(Vec(x.related), Vec(y.related));
      ASSERT_FALSE(x.subject.empty() && x.related.empty());
    }
    for (Day d : {kDay - 4000, kDay, kDay + 4000}) EXPECT_EQ(a.Counts(i, d), b.Counts(i, d));
  }
  EXPECT_EQ(b.FindEntry("no such entry"), -1);
  // Keys of another seed: misses (mostly) in both.
  GenerateEntries(2000, 99, [&](const Entry& e) { keys.push_back(e.uscc); });
  std::vector<Hits> x(keys.size()), y(keys.size());
  a.FindBatch(keys.data(), keys.size(), x.data());
  b.FindBatch(keys.data(), keys.size(), y.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    ASSERT_EQ(Vec(x[k].subject), Vec(y[k].subject));
    ASSERT_EQ(Vec(x[k].related), Vec(y[k].related));
  }
}

class SnapshotImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/credlist_image_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/snapshot.img";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Bytes() {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void Put(const std::string& bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string dir_, path_;
};

TEST_F(SnapshotImageTest, ReadBackIsTheSnapshotWritten) {
  const auto entries = Entries(30000);
  auto built = Build(entries, kDay);
  ASSERT_GT(built->conflicts(), 0u);
  ASSERT_TRUE(SnapshotImage::Write(*built, path_, "tag 1").ok());
  auto tag = SnapshotImage::ReadTag(path_);
  ASSERT_TRUE(tag.ok()) << tag.status().ToString();
  EXPECT_EQ(*tag, "tag 1");
  auto read = SnapshotImage::Read(path_, "tag 1", kDay);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_GT((*read)->version(), built->version());
  ExpectSame(*built, **read);
  EXPECT_EQ(fs::status(path_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SnapshotImageTest, EmptyAndTinySnapshotsRoundTrip) {
  for (size_t n : {0, 1, 2, 40}) {
    std::vector<Entry> entries;
    GenerateEntries(n, 5, [&](const Entry& e) { entries.push_back(e); });
    auto built = Build(entries, kDay);
    ASSERT_TRUE(SnapshotImage::Write(*built, path_, "t").ok());
    auto read = SnapshotImage::Read(path_, "t", kDay);
    ASSERT_TRUE(read.ok()) << n << ": " << read.status().ToString();
    ExpectSame(*built, **read);
  }
}

// The image keeps the conflicts of the day it was built; read on another day, it counts them
// again, as a build on that day would.
TEST_F(SnapshotImageTest, ConflictsAreCountedForTheDayRead) {
  const auto entries = Entries(5000);
  auto built = Build(entries, kDay);
  ASSERT_TRUE(SnapshotImage::Write(*built, path_, "t").ok());
  for (Day d : {kDay - 3000, kDay - 365, kDay + 1, kDay + 5000}) {
    auto read = SnapshotImage::Read(path_, "t", d);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ((*read)->conflicts(), Build(entries, d)->conflicts()) << d;
    EXPECT_EQ((*read)->conflicts_day(), d);
  }
}

TEST_F(SnapshotImageTest, StaleMissingTruncatedAndCorruptImagesAreRefused) {
  auto built = Build(Entries(3000), kDay);
  EXPECT_EQ(SnapshotImage::Read(path_, "t", kDay).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(SnapshotImage::Write(*built, path_, "t").ok());
  auto stale = SnapshotImage::Read(path_, "other", kDay);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().reason().find("stale"), std::string::npos);

  const std::string good = Bytes();
  for (size_t len = 0; len < good.size(); len += 1 + len / 3) {
    Put(good.substr(0, len));
    auto r = SnapshotImage::Read(path_, "t", kDay);
    EXPECT_FALSE(r.ok()) << "truncated to " << len;
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  }
  Put(good + "x");
  EXPECT_FALSE(SnapshotImage::Read(path_, "t", kDay).ok());
  for (size_t at = 0; at < good.size(); at += 1 + at / 2) {
    std::string bad = good;
    bad[at] ^= 0x20;
    Put(bad);
    EXPECT_FALSE(SnapshotImage::Read(path_, "t", kDay).ok()) << "byte " << at;
  }
  Put(good);
  EXPECT_TRUE(SnapshotImage::Read(path_, "t", kDay).ok());
}

TEST_F(SnapshotImageTest, CancelledWriteLeavesNothing) {
  auto built = Build(Entries(3000), kDay);
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(SnapshotImage::Write(*built, path_, "t", &cancel).ok());
  EXPECT_TRUE(fs::is_empty(dir_));
}

// The data directory: the image is used while the store is as it was, never after it changed.
TEST_F(SnapshotImageTest, RestoreUsesACurrentImageOnly) {
  auto store = OpenSqliteStore(dir_ + "/data", SqliteStoreOptions{});
  ASSERT_TRUE(store.ok());
  const auto entries = Entries(4000);
  ASSERT_TRUE((*store)->PutEntries(entries, false).ok());

  auto first = RestoreSnapshotOrImage(**store, dir_ + "/data", kDay);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->from_image);
  EXPECT_EQ(first->image_note, "");
  ASSERT_TRUE(SaveSnapshotImage(*first, dir_ + "/data").ok());
  auto second = RestoreSnapshotOrImage(**store, dir_ + "/data", kDay);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->from_image);
  ExpectSame(*first->snapshot, *second->snapshot);

  // A load after the image: the image is stale; the snapshot has the new entry.
  Entry changed = entries[7];
  changed.name = "改过的";
  ASSERT_TRUE((*store)->PutEntries({changed}, false).ok());
  auto third = RestoreSnapshotOrImage(**store, dir_ + "/data", kDay);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->from_image);
  EXPECT_NE(third->image_note.find("stale"), std::string::npos) << third->image_note;
  const int64_t at = third->snapshot->FindEntry(changed.entry_id);
  ASSERT_GE(at, 0);
  EXPECT_EQ(third->snapshot->ToEntry(static_cast<uint32_t>(at)).name, "改过的");

  // A replace with the same entries (same sizes, new load): stale too.
  ASSERT_TRUE(SaveSnapshotImage(*third, dir_ + "/data").ok());
  ASSERT_TRUE((*store)->PutEntries(entries, true).ok());
  auto fourth = RestoreSnapshotOrImage(**store, dir_ + "/data", kDay);
  ASSERT_TRUE(fourth.ok());
  EXPECT_FALSE(fourth->from_image);
  EXPECT_EQ(fourth->snapshot
                ->ToEntry(static_cast<uint32_t>(fourth->snapshot->FindEntry(changed.entry_id)))
                .name,
            entries[7].name);

  // A corrupt image: rebuilt from the store, with a note.
  ASSERT_TRUE(SaveSnapshotImage(*fourth, dir_ + "/data").ok());
  {
    std::fstream f(SnapshotImagePath(dir_ + "/data"),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5000);
    f.put('\x7f');
  }
  auto fifth = RestoreSnapshotOrImage(**store, dir_ + "/data", kDay);
  ASSERT_TRUE(fifth.ok());
  EXPECT_FALSE(fifth->from_image);
  EXPECT_NE(fifth->image_note.find("checksum"), std::string::npos) << fifth->image_note;
  ExpectSame(*fourth->snapshot, *fifth->snapshot);
}

TEST_F(SnapshotImageTest, LeftoverTemporaryFilesAreRemoved) {
  auto store = OpenSqliteStore(dir_, SqliteStoreOptions{});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutEntries(Entries(100), false).ok());
  { std::ofstream(dir_ + "/snapshot.img.tmp-999999999-0") << "half"; }
  auto r = RestoreSnapshotOrImage(**store, dir_, kDay);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(SaveSnapshotImage(*r, dir_).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/snapshot.img.tmp-999999999-0"));
  EXPECT_TRUE(fs::exists(dir_ + "/snapshot.img"));
}

}  // namespace
}  // namespace credlist
