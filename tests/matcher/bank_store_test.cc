#include "matcher/bank_store.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ordered_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/digests.h"
#include "matcher/own_signature.h"
#include "rocksdb/db.h"
#include "tests/testing/images.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::matcher {
namespace {

using ::hashwatch::testing::IsOkAndHolds;
using ::hashwatch::testing::StatusIs;
using ::hashwatch::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

PdqHash RandomHash(std::mt19937& rng) {
  PdqHash h;
  for (uint16_t& w : h.words) w = static_cast<uint16_t>(rng());
  return h;
}

PdqHash FlipBits(PdqHash h, int n, std::mt19937& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  for (int i = 0; i < n; ++i)
    h.words[bits[i] / 16] ^= static_cast<uint16_t>(1u << (bits[i] % 16));
  return h;
}

NewEntry Pdq(const PdqHash& h, std::string category = "") {
  NewEntry e;
  e.signal = SignalType::kPdq;
  e.value = h.ToHex();
  e.category = std::move(category);
  return e;
}

NewEntry Md5(std::string hex, std::string category = "") {
  NewEntry e;
  e.signal = SignalType::kMd5;
  e.value = std::move(hex);
  e.category = std::move(category);
  return e;
}

NewEntry Sha256(std::string hex) {
  NewEntry e;
  e.signal = SignalType::kSha256;
  e.value = std::move(hex);
  return e;
}

// A benign generated grey picture full of corners: random rectangles and
// discs of random greys on a gradient, different for every seed.
struct Grey {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major
};

Grey Textured(int seed, int width = 640, int height = 480) {
  std::mt19937 rng(static_cast<uint32_t>(seed) * 7919 + 1);
  auto uniform = [&](int lo, int hi) {  // [lo, hi)
    return std::uniform_int_distribution<int>(lo, hi - 1)(rng);
  };
  Grey g{width, height, std::vector<uint8_t>(size_t(width) * height)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      g.pixels[size_t(y) * width + x] =
          static_cast<uint8_t>(60 + 80 * x / width + 40 * y / height);
  }
  for (int k = 0; k < 70; ++k) {
    const int cx = uniform(0, width), cy = uniform(0, height);
    const uint8_t grey = static_cast<uint8_t>(uniform(0, 256));
    if (uniform(0, 2) == 0) {
      const int r = uniform(6, 50);
      for (int y = std::max(0, cy - r); y < std::min(height, cy + r + 1); ++y) {
        for (int x = std::max(0, cx - r); x < std::min(width, cx + r + 1);
             ++x) {
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
            g.pixels[size_t(y) * width + x] = grey;
        }
      }
    } else {
      const int w = uniform(10, 90), h = uniform(10, 90);
      for (int y = cy; y < std::min(height, cy + h); ++y) {
        for (int x = cx; x < std::min(width, cx + w); ++x)
          g.pixels[size_t(y) * width + x] = grey;
      }
    }
  }
  return g;
}

// The picture less `cut` of each side, the kept window placed at (ox, oy)
// (0..1) of the room left.
Grey Crop(const Grey& g, double cut, double ox, double oy) {
  const int w = static_cast<int>(g.width * (1 - cut));
  const int h = static_cast<int>(g.height * (1 - cut));
  const int x0 = static_cast<int>((g.width - w) * ox);
  const int y0 = static_cast<int>((g.height - h) * oy);
  Grey out{w, h, std::vector<uint8_t>(size_t(w) * h)};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x)
      out.pixels[size_t(y) * w + x] =
          g.pixels[size_t(y + y0) * g.width + x + x0];
  }
  return out;
}

std::string Jpeg(const Grey& g, int quality = 90) {
  return hashwatch::testing::GreyJpeg(g.pixels.data(), g.width, g.height,
                                      quality);
}

OwnSignature Sign(const std::string& bytes) {
  absl::StatusOr<OwnSignature> s = ComputeOwnSignature(bytes);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : OwnSignature{};
}

// A picture as the platform holds it: its bytes, their SHA-256 (the bank
// entry) and its own-material signature.
struct Picture {
  std::string bytes;
  std::string sha256;
  OwnSignature signature;
};

Picture MakePicture(const Grey& g) {
  Picture p;
  p.bytes = Jpeg(g);
  p.sha256 = Sha256Hex(p.bytes);
  p.signature = Sign(p.bytes);
  return p;
}

// The database under `path` opened directly (every column family), for
// tests that write what the store never would.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names_)
            .ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const std::string& n : names_)
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles_, &raw)
            .ok());
    db_.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  }
  rocksdb::DB* db() { return db_.get(); }
  bool Has(const std::string& name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
  }
  rocksdb::ColumnFamilyHandle* family(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    ADD_FAILURE() << "no family " << name;
    return handles_[0];
  }

 private:
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

class BankStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<BankStore> OpenStore(bool load_index = true) {
    BankStoreOptions options;
    options.path = dir_.Sub("banks");
    options.load_index = load_index;
    options.sync_writes = false;  // durability is the queue's crash test's job
    absl::StatusOr<std::unique_ptr<BankStore>> s =
        BankStore::Open(options, &clock_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  TempDir dir_;
  FakeClock clock_;
  std::mt19937 rng_{42};
};

TEST_F(BankStoreTest, CreatesListsAndRejectsBadBanks) {
  auto store = OpenStore();
  ASSERT_OK_AND_ASSIGN(Bank iwf,
                       store->CreateBank("iwf", BankKind::kMatch, {}));
  ASSERT_OK(store->CreateBank("allow-list", BankKind::kAllow, {}).status());
  EXPECT_EQ(iwf.name, "iwf");
  EXPECT_GT(iwf.id, 0u);
  EXPECT_THAT(store->CreateBank("iwf", BankKind::kMatch, {}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("iwf")));
  EXPECT_THAT(store->CreateBank("Bad Name", BankKind::kMatch, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BankPolicy bad;
  bad.review_distance = 65;
  EXPECT_THAT(store->CreateBank("x", BankKind::kMatch, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("review_distance")));
  bad = {};
  bad.auto_report_distance = 40;
  EXPECT_THAT(store->CreateBank("x", BankKind::kMatch, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("auto_report_distance")));
  EXPECT_THAT(store->GetBank("nope"), StatusIs(absl::StatusCode::kNotFound));
  std::vector<Bank> banks = store->ListBanks();
  ASSERT_THAT(banks, SizeIs(2));
  EXPECT_EQ(banks[0].name, "allow-list");
  EXPECT_EQ(banks[1].kind, BankKind::kMatch);
}

TEST_F(BankStoreTest, MatchesPdqWithinRadiusAndExactHashes) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("iwf", BankKind::kMatch, {}).status());
  const PdqHash stored = RandomHash(rng_);
  const std::string md5 = "0123456789abcdef0123456789abcdef";
  ASSERT_OK_AND_ASSIGN(
      WriteResult r,
      store->AddEntries("iwf", {Pdq(stored, "A"), Md5(md5, "B")}));
  EXPECT_EQ(r.added, 2u);

  const PdqHash near = FlipBits(stored, 12, rng_);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({near}, 31));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].bank, "iwf");
  EXPECT_EQ(m[0].distance, 12);
  EXPECT_EQ(m[0].entry.category, "A");
  EXPECT_EQ(m[0].entry.value, stored.ToHex());
  ASSERT_OK_AND_ASSIGN(m, store->MatchPdq({near}, 11));
  EXPECT_THAT(m, SizeIs(0));

  ASSERT_OK_AND_ASSIGN(
      m,
      store->MatchExact(SignalType::kMd5, "0123456789ABCDEF0123456789ABCDEF"));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.category, "B");
  EXPECT_EQ(m[0].distance, 0);
  ASSERT_OK_AND_ASSIGN(
      m, store->MatchExact(SignalType::kSha1, std::string(40, 'a')));
  EXPECT_THAT(m, SizeIs(0));

  EXPECT_THAT(store->MatchPdq({near}, 65),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->MatchPdq({near}, -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store->MatchExact(SignalType::kMd5, "abc"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want 32")));
}

TEST_F(BankStoreTest, DihedralQueriesReportTheVariant) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const PdqHash a = RandomHash(rng_), b = RandomHash(rng_);
  ASSERT_OK(store->AddEntries("b", {Pdq(b)}).status());
  ASSERT_OK_AND_ASSIGN(
      std::vector<Match> m,
      store->MatchPdq({a, RandomHash(rng_), FlipBits(b, 3, rng_)}, 31));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].variant, 2);
  EXPECT_EQ(m[0].distance, 3);
}

// Rotated copies are searched in the banks whose policy asks for them only:
// their entries are indexed a second time, apart, and follow policy changes,
// removals and restarts.
TEST_F(BankStoreTest, TurnedVariantsSearchOnlyTheDihedralBanks) {
  const PdqHash listed = RandomHash(rng_), own = RandomHash(rng_);
  BankPolicy turned;
  turned.dihedral = true;
  {
    auto store = OpenStore();
    ASSERT_OK(store->CreateBank("list", BankKind::kMatch, {}).status());
    ASSERT_OK(store->CreateBank("own", BankKind::kMatch, turned).status());
    ASSERT_OK(store->AddEntries("list", {Pdq(listed)}).status());
    ASSERT_OK(store->AddEntries("own", {Pdq(own), Md5(std::string(32, 'a'))})
                  .status());
    EXPECT_EQ(store->TurnedPdqEntries(), 1u);
    ASSERT_OK_AND_ASSIGN(
        std::vector<Match> m,
        store->MatchTurnedPdq(
            {FlipBits(listed, 2, rng_), FlipBits(own, 2, rng_)}, 31));
    ASSERT_THAT(m, SizeIs(1));
    EXPECT_EQ(m[0].bank, "own");
    EXPECT_EQ(m[0].variant, 1);
    // Every bank is still in the index of upright queries.
    ASSERT_OK_AND_ASSIGN(std::vector<Match> all,
                         store->MatchPdq({listed, own}, 31));
    EXPECT_THAT(all, SizeIs(2));

    // Turning the policy on indexes the bank's entries; off takes them out.
    ASSERT_OK(store->UpdatePolicy("list", turned).status());
    ASSERT_OK(store->UpdatePolicy("own", BankPolicy{}).status());
    EXPECT_EQ(store->TurnedPdqEntries(), 1u);
    ASSERT_OK_AND_ASSIGN(m, store->MatchTurnedPdq({listed, own}, 0));
    ASSERT_THAT(m, SizeIs(1));
    EXPECT_EQ(m[0].bank, "list");
    ASSERT_OK(store->UpdatePolicy("own", turned).status());
    EXPECT_EQ(store->TurnedPdqEntries(), 2u);
  }
  // A restart indexes the dihedral banks' entries again.
  auto store = OpenStore();
  EXPECT_EQ(store->TurnedPdqEntries(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m,
                       store->MatchTurnedPdq({listed, own}, 0));
  EXPECT_THAT(m, SizeIs(2));
  // Removed entries and deleted banks leave it.
  ASSERT_OK(store->RemoveEntries("list", {{SignalType::kPdq, listed.ToHex()}})
                .status());
  EXPECT_EQ(store->TurnedPdqEntries(), 1u);
  ASSERT_OK(store->DeleteBank("own"));
  EXPECT_EQ(store->TurnedPdqEntries(), 0u);
  ASSERT_OK_AND_ASSIGN(m, store->MatchTurnedPdq({listed, own}, 31));
  EXPECT_THAT(m, IsEmpty());
}

TEST_F(BankStoreTest, ReimportIsIdempotentAndUpdatesFields) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  std::vector<NewEntry> list = {Pdq(RandomHash(rng_), "A"),
                                Md5(std::string(32, 'f'), "B")};
  ASSERT_OK_AND_ASSIGN(WriteResult first, store->AddEntries("b", list));
  EXPECT_EQ(first.added, 2u);
  ASSERT_OK_AND_ASSIGN(WriteResult again, store->AddEntries("b", list));
  EXPECT_EQ(again.added, 0u);
  EXPECT_EQ(again.unchanged, 2u);
  list[0].category = "C";
  ASSERT_OK_AND_ASSIGN(WriteResult changed, store->AddEntries("b", list));
  EXPECT_EQ(changed.updated, 1u);
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.entries, 2);
  EXPECT_EQ(stats.by_signal["pdq"], 1);
  EXPECT_EQ(stats.by_signal["md5"], 1);
  EXPECT_EQ(stats.by_category.count("A"), 0u);
  EXPECT_EQ(stats.by_category["C"], 1);
  EXPECT_EQ(stats.by_category["B"], 1);
  EXPECT_EQ(store->IndexedPdqEntries(), 1u);
  // A list naming one value twice stores it once.
  ASSERT_OK_AND_ASSIGN(WriteResult dup,
                       store->AddEntries("b", {Md5(std::string(32, 'e')),
                                               Md5(std::string(32, 'E'))}));
  EXPECT_EQ(dup.added, 1u);
}

TEST_F(BankStoreTest, AnAddWithOneBadEntryWritesNothing) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  NewEntry bad = Md5("xyz");
  EXPECT_THAT(
      store->AddEntries("b", {Pdq(RandomHash(rng_)), bad}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("entry 2")));
  NewEntry bad_meta = Md5(std::string(32, 'a'));
  bad_meta.metadata_json = "[1,2]";
  EXPECT_THAT(
      store->AddEntries("b", {bad_meta}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON object")));
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.entries, 0);
  EXPECT_EQ(store->IndexedPdqEntries(), 0u);
  EXPECT_THAT(store->AddEntries("nope", {Md5(std::string(32, 'a'))}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BankStoreTest, RemovedEntriesStopMatching) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const PdqHash h = RandomHash(rng_);
  ASSERT_OK(store->AddEntries("b", {Pdq(h, "A"), Md5(std::string(32, 'a'))})
                .status());
  ASSERT_OK_AND_ASSIGN(
      WriteResult r,
      store->RemoveEntries("b", {{SignalType::kPdq, h.ToHex()},
                                 {SignalType::kSha1, std::string(40, 'b')}}));
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(r.not_found, 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({h}, 31));
  EXPECT_THAT(m, SizeIs(0));
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.entries, 1);
  EXPECT_EQ(stats.by_category.count("A"), 0u);
  // Re-adding a removed value gives it a new id.
  ASSERT_OK(store->AddEntries("b", {Pdq(h)}).status());
  ASSERT_OK_AND_ASSIGN(m, store->MatchPdq({h}, 0));
  ASSERT_THAT(m, SizeIs(1));
}

TEST_F(BankStoreTest, DisabledEntriesNeverMatchUntilTheirTime) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const PdqHash h = RandomHash(rng_);
  const std::string md5(32, 'c');
  ASSERT_OK(store->AddEntries("b", {Pdq(h), Md5(md5)}).status());
  const absl::Time until = clock_.Now() + absl::Hours(2);
  ASSERT_OK(
      store->DisableEntry("b", SignalType::kPdq, h.ToHex(), until).status());
  ASSERT_OK(
      store->DisableEntry("b", SignalType::kMd5, md5, absl::InfiniteFuture())
          .status());
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({h}, 31));
  EXPECT_THAT(m, SizeIs(0));
  ASSERT_OK_AND_ASSIGN(m, store->MatchExact(SignalType::kMd5, md5));
  EXPECT_THAT(m, SizeIs(0));
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.disabled, 2);
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(m, store->MatchPdq({h}, 31));
  EXPECT_THAT(m, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(stats, store->Stats("b"));
  EXPECT_EQ(stats.disabled, 1);
  // Re-enabling survives a restart.
  ASSERT_OK(
      store->DisableEntry("b", SignalType::kMd5, md5, absl::InfinitePast())
          .status());
  store.reset();
  store = OpenStore();
  ASSERT_OK_AND_ASSIGN(m, store->MatchExact(SignalType::kMd5, md5));
  EXPECT_THAT(m, SizeIs(1));
  EXPECT_THAT(
      store->DisableEntry("b", SignalType::kMd5, std::string(32, 'd'), until),
      StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(BankStoreTest, EverythingSurvivesARestart) {
  const PdqHash kept = RandomHash(rng_), off = RandomHash(rng_);
  uint64_t kept_id = 0;
  {
    auto store = OpenStore();
    ASSERT_OK(store->CreateBank("iwf", BankKind::kMatch, {}).status());
    BankPolicy policy;
    policy.review_distance = 40;
    policy.default_category = "B";
    ASSERT_OK(store->CreateBank("fp", BankKind::kAllow, policy).status());
    ASSERT_OK(store->AddEntries("iwf", {Pdq(kept, "A"), Pdq(off)}).status());
    ASSERT_OK(store
                  ->DisableEntry("iwf", SignalType::kPdq, off.ToHex(),
                                 absl::InfiniteFuture())
                  .status());
    ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({kept}, 0));
    kept_id = m.at(0).entry.id;
  }
  auto store = OpenStore();
  ASSERT_THAT(store->ListBanks(), SizeIs(2));
  ASSERT_OK_AND_ASSIGN(Bank fp, store->GetBank("fp"));
  EXPECT_EQ(fp.kind, BankKind::kAllow);
  EXPECT_EQ(fp.policy.review_distance, 40);
  EXPECT_EQ(store->IndexedPdqEntries(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({kept}, 31));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.id, kept_id);
  EXPECT_EQ(m[0].entry.category, "A");
  ASSERT_OK_AND_ASSIGN(m, store->MatchPdq({off}, 31));
  EXPECT_THAT(m, SizeIs(0));
  // Ids keep increasing after a restart.
  ASSERT_OK(store->AddEntries("iwf", {Md5(std::string(32, '1'))}).status());
  ASSERT_OK_AND_ASSIGN(
      m, store->MatchExact(SignalType::kMd5, std::string(32, '1')));
  EXPECT_GT(m.at(0).entry.id, kept_id);
}

TEST_F(BankStoreTest, DeletingABankRemovesItsEntries) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("a", BankKind::kMatch, {}).status());
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const PdqHash h = RandomHash(rng_);
  ASSERT_OK(store->AddEntries("a", {Pdq(h)}).status());
  ASSERT_OK(store->AddEntries("b", {Pdq(h)}).status());
  ASSERT_OK(store->DeleteBank("a"));
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({h}, 0));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].bank, "b");
  EXPECT_THAT(store->DeleteBank("a"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store->CreateBank("a", BankKind::kMatch, {}).status());
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("a"));
  EXPECT_EQ(stats.entries, 0);
  store.reset();
  store = OpenStore();
  EXPECT_EQ(store->IndexedPdqEntries(), 1u);
}

TEST_F(BankStoreTest, ListsEntriesInInsertionOrder) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  std::vector<NewEntry> list;
  for (int i = 0; i < 50; ++i)
    list.push_back(Pdq(RandomHash(rng_), i % 2 ? "A" : "B"));
  ASSERT_OK(store->AddEntries("b", list).status());
  std::vector<std::string> seen;
  ASSERT_OK(store->ForEachEntry("b", [&](const BankEntry& e) {
    seen.push_back(e.value);
    EXPECT_EQ(e.bank, "b");
    return absl::OkStatus();
  }));
  ASSERT_THAT(seen, SizeIs(50));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[i], list[i].value);
  EXPECT_THAT(
      store->ForEachEntry(
          "b", [](const BankEntry&) { return absl::CancelledError("stop"); }),
      StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(BankStoreTest, WriteSizeLimitIsEnforced) {
  BankStoreOptions options;
  options.path = dir_.Sub("limited");
  options.max_entries_per_import = 2;
  options.max_entries_per_write = 3;
  ASSERT_OK_AND_ASSIGN(auto store, BankStore::Open(options, &clock_));
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  EXPECT_THAT(
      store->AddEntries("b",
                        {Md5(std::string(32, '1')), Md5(std::string(32, '2')),
                         Md5(std::string(32, '3'))}),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("split")));
  ASSERT_OK(store
                ->AddEntries(
                    "b", {Md5(std::string(32, '1')), Md5(std::string(32, '2'))})
                .status());
  const std::vector<std::pair<SignalType, std::string>> four = {
      {SignalType::kMd5, std::string(32, '1')},
      {SignalType::kMd5, std::string(32, '2')},
      {SignalType::kMd5, std::string(32, '3')},
      {SignalType::kMd5, std::string(32, '4')}};
  EXPECT_THAT(
      store->RemoveEntries("b", four),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("removals")));
}

// A database whose bank and entry records were written as JSON, as the
// versions before the record codec wrote them: the store opens it, reads
// and matches its entries, and rewrites records it changes in the codec.
TEST_F(BankStoreTest, RecordsStoredAsJsonByEarlierVersionsStayReadable) {
  const PdqHash h = RandomHash(rng_);
  const std::string md5(32, '7');
  uint64_t md5_id = 0;
  uint32_t bank_id = 0;
  {
    auto store = OpenStore();
    BankPolicy policy;
    policy.auto_report_distance = 6;
    policy.review_distance = 24;
    policy.default_category = "B";
    ASSERT_OK_AND_ASSIGN(Bank created,
                         store->CreateBank("iwf", BankKind::kMatch, policy));
    bank_id = created.id;
    ASSERT_OK(store->AddEntries("iwf", {Pdq(h, "A"), Md5(md5, "C")}).status());
    ASSERT_OK_AND_ASSIGN(std::vector<Match> m,
                         store->MatchExact(SignalType::kMd5, md5));
    ASSERT_THAT(m, SizeIs(1));
    md5_id = m[0].entry.id;
  }
  {
    // Rewrite every bank and entry record as the JSON the old code wrote.
    const std::string path = dir_.Sub("banks");
    std::vector<std::string> names;
    ASSERT_TRUE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names)
            .ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const std::string& n : names)
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &raw)
            .ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto family = [&](const std::string& name) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return handles[i];
      }
      ADD_FAILURE() << "no family " << name;
      return handles[0];
    };
    const std::string bank_json = absl::StrCat(
        R"({"auto_report_distance":6,"auto_report_enabled":true,)",
        R"("created_us":0,"default_category":"B","id":)", bank_id,
        R"(,"kind":"match","last_change_us":0,"min_quality":50,)",
        R"("name":"iwf","priority_boost":0,"review_distance":24})");
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), family("banks"), "iwf", bank_json)
            .ok());
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), family("entries")));
    int rewritten = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const bool is_md5 = it->key().ToString() == BigEndianKey(md5_id);
      const std::string json =
          is_md5 ? absl::StrCat(R"({"s":2,"v":")", md5, R"(","c":"C","a":0})")
                 : absl::StrCat(R"({"s":1,"v":")", h.ToHex(),
                                R"(","c":"A","a":0})");
      ASSERT_TRUE(
          db->Put(rocksdb::WriteOptions(), family("entries"), it->key(), json)
              .ok());
      ++rewritten;
    }
    ASSERT_EQ(rewritten, 2);
    it.reset();
    for (auto* handle : handles)
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  auto store = OpenStore();
  ASSERT_OK_AND_ASSIGN(Bank iwf, store->GetBank("iwf"));
  EXPECT_EQ(iwf.policy.auto_report_distance, 6);
  EXPECT_EQ(iwf.policy.review_distance, 24);
  EXPECT_EQ(iwf.policy.default_category, "B");
  ASSERT_OK_AND_ASSIGN(BankEntry e, store->GetEntry(md5_id));
  EXPECT_EQ(e.value, md5);
  EXPECT_EQ(e.category, "C");
  ASSERT_OK_AND_ASSIGN(std::vector<Match> pdq, store->MatchPdq({h}, 0));
  ASSERT_THAT(pdq, SizeIs(1));
  EXPECT_EQ(pdq[0].entry.category, "A");
  // Changing the bank rewrites its record in the current encoding; it
  // reads back after a restart.
  BankPolicy policy = iwf.policy;
  policy.review_distance = 20;
  ASSERT_OK(store->UpdatePolicy("iwf", policy).status());
  store.reset();
  store = OpenStore();
  ASSERT_OK_AND_ASSIGN(Bank again, store->GetBank("iwf"));
  EXPECT_EQ(again.policy.review_distance, 20);
  EXPECT_EQ(again.policy.default_category, "B");
}

TEST_F(BankStoreTest, LockedAndCorruptDatabasesAreClearErrors) {
  auto store = OpenStore();
  BankStoreOptions options;
  options.path = dir_.Sub("banks");
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  store.reset();
  // Damage the manifest pointer: the store must refuse to open, not guess.
  std::ofstream(dir_.Sub("banks/CURRENT"), std::ios::trunc) << "garbage";
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kDataLoss));
  options.path = "";
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BankStoreTest, WritesAreVisibleToConcurrentMatches) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  std::vector<PdqHash> hashes;
  for (int i = 0; i < 200; ++i) hashes.push_back(RandomHash(rng_));
  std::atomic<int> written{0};
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    // Every hash acknowledged before the query starts must be found.
    while (written.load() < 200) {
      const int n = written.load();
      if (n == 0) continue;
      absl::StatusOr<std::vector<Match>> m =
          store->MatchPdq({hashes[n - 1]}, 0);
      if (!m.ok() || m->empty()) failed = true;
    }
  });
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(store->AddEntries("b", {Pdq(hashes[i])}).status());
    written.store(i + 1);
  }
  reader.join();
  EXPECT_FALSE(failed.load());
}

// Own-material signatures (AddOwnSignature, MatchOwn).

TEST_F(BankStoreTest, OwnSignaturesMatchCroppedCopiesInEveryBank) {
  auto store = OpenStore();
  BankPolicy policy;
  policy.review_distance = 28;
  ASSERT_OK(store->CreateBank("internal-confirmed", BankKind::kMatch, policy)
                .status());
  ASSERT_OK(store->CreateBank("archive", BankKind::kMatch, {}).status());
  const Grey two = Textured(2);
  std::vector<Picture> pictures;
  for (int seed : {1, 3}) pictures.push_back(MakePicture(Textured(seed)));
  pictures.push_back(MakePicture(two));
  for (const Picture& p : pictures) {
    ASSERT_OK(
        store->AddEntries("internal-confirmed", {Sha256(p.sha256)}).status());
    ASSERT_OK(
        store->AddOwnSignature("internal-confirmed", p.sha256, p.signature));
  }
  // The same picture in a second bank, and an entry with no signature.
  const Picture& stored = pictures.back();
  const std::string unsigned_sha = Sha256Hex("no signature");
  ASSERT_OK(
      store
          ->AddEntries("archive", {Sha256(stored.sha256), Sha256(unsigned_sha)})
          .status());
  ASSERT_OK(store->AddOwnSignature("archive", stored.sha256, stored.signature));
  EXPECT_EQ(store->OwnSignatureCount(), 4u);
  EXPECT_GT(store->OwnIndexMemoryBytes(), 0u);
  EXPECT_THAT(store->HasOwnSignature("archive", stored.sha256),
              IsOkAndHolds(true));
  EXPECT_THAT(store->HasOwnSignature("archive", unsigned_sha),
              IsOkAndHolds(false));
  EXPECT_THAT(store->HasOwnSignature("archive", pictures[0].sha256),
              IsOkAndHolds(false));  // no such entry in that bank
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("internal-confirmed"));
  EXPECT_EQ(stats.own_signatures, 3);
  ASSERT_OK_AND_ASSIGN(stats, store->Stats("archive"));
  EXPECT_EQ(stats.own_signatures, 1);
  EXPECT_EQ(stats.entries, 2);

  // A cropped, re-encoded copy: other bytes, another SHA-256.
  const std::string copy = Jpeg(Crop(two, 0.2, 0.3, 0.8), 80);
  ASSERT_NE(Sha256Hex(copy), stored.sha256);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(Sign(copy)));
  ASSERT_THAT(m, SizeIs(2));
  std::vector<std::string> banks;
  for (const Match& match : m) {
    banks.push_back(match.bank);
    EXPECT_EQ(match.entry.signal, SignalType::kSha256);
    EXPECT_EQ(match.entry.value, stored.sha256);
    EXPECT_EQ(match.entry.bank, match.bank);
    EXPECT_EQ(match.path_kind, PathKind::kLocalFeatures);
    EXPECT_EQ(match.path, "local features");
    EXPECT_GE(match.own_inliers, OwnMatchOptions{}.min_inliers);
    EXPECT_EQ(match.variant, 0);
    EXPECT_EQ(match.kind, BankKind::kMatch);
    EXPECT_EQ(match.distance, match.policy.review_distance);
  }
  EXPECT_GE(m[0].own_inliers, m[1].own_inliers);
  EXPECT_THAT(banks,
              ::testing::UnorderedElementsAre("internal-confirmed", "archive"));
  for (const Match& match : m) {
    EXPECT_EQ(match.distance, match.bank == "archive" ? 31 : 28);
  }
  // An unrelated picture matches nothing.
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(Sign(Jpeg(Textured(77)))));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(OwnSignature{}));
  EXPECT_THAT(m, IsEmpty());
}

TEST_F(BankStoreTest, AddingAnOwnSignatureAgainReplacesIt) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const Picture a = MakePicture(Textured(4));
  const Picture b = MakePicture(Textured(5));
  ASSERT_OK(store->AddEntries("b", {Sha256(a.sha256)}).status());
  ASSERT_OK(store->AddOwnSignature("b", a.sha256, a.signature));
  ASSERT_OK_AND_ASSIGN(Bank before, store->GetBank("b"));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(store->AddOwnSignature("b", a.sha256, a.signature));
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("b"));
  EXPECT_EQ(stats.own_signatures, 1);
  // The same signature again writes nothing.
  ASSERT_OK_AND_ASSIGN(Bank after, store->GetBank("b"));
  EXPECT_EQ(after.last_change, before.last_change);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(a.signature));
  ASSERT_THAT(m, SizeIs(1));
  const uint64_t id = m[0].entry.id;

  // Another signature under the same entry replaces the first, in the
  // index as on disk.
  ASSERT_OK(store->AddOwnSignature("b", a.sha256, b.signature));
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  ASSERT_OK_AND_ASSIGN(stats, store->Stats("b"));
  EXPECT_EQ(stats.own_signatures, 1);
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(a.signature));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(b.signature));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.id, id);
  store.reset();
  store = OpenStore();
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(a.signature));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(b.signature));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.id, id);
}

TEST_F(BankStoreTest, OwnSignaturesNeedTheirBankAndSha256Entry) {
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  const Picture p = MakePicture(Textured(6));
  EXPECT_THAT(store->AddOwnSignature("nope", p.sha256, p.signature),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(store->AddOwnSignature("b", p.sha256, p.signature),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(p.sha256)));
  // Another signal's entry with the same digits is not the picture's
  // SHA-256 entry.
  NewEntry pdq;
  pdq.signal = SignalType::kPdq;
  pdq.value = p.sha256;
  ASSERT_OK(store->AddEntries("b", {pdq}).status());
  EXPECT_THAT(store->AddOwnSignature("b", p.sha256, p.signature),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256)}).status());
  EXPECT_THAT(store->AddOwnSignature("b", "xyz", p.signature),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->AddOwnSignature("b", p.sha256, OwnSignature{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  OwnSignature too_wide = p.signature;
  too_wide.width = 1 << 20;  // cannot be serialised
  EXPECT_THAT(store->AddOwnSignature("b", p.sha256, too_wide),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->HasOwnSignature("nope", p.sha256),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->HasOwnSignature("b", "xyz"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store->OwnSignatureCount(), 0u);
  EXPECT_THAT(store->HasOwnSignature("b", p.sha256), IsOkAndHolds(false));
  // Upper-case hex names the same entry.
  ASSERT_OK(store->AddOwnSignature("b", absl::AsciiStrToUpper(p.sha256),
                                   p.signature));
  EXPECT_THAT(store->HasOwnSignature("b", p.sha256), IsOkAndHolds(true));
}

TEST_F(BankStoreTest, OwnSignaturesSurviveARestart) {
  const Picture p = MakePicture(Textured(8));
  {
    auto store = OpenStore();
    ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
    ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256)}).status());
    ASSERT_OK(store->AddOwnSignature("b", p.sha256, p.signature));
  }
  auto store = OpenStore();
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  EXPECT_THAT(store->HasOwnSignature("b", p.sha256), IsOkAndHolds(true));
  ASSERT_OK_AND_ASSIGN(
      std::vector<Match> m,
      store->MatchOwn(Sign(Jpeg(Crop(Textured(8), 0.15, 0.9, 0.1)))));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.value, p.sha256);
  EXPECT_EQ(m[0].path_kind, PathKind::kLocalFeatures);
}

TEST_F(BankStoreTest, WithoutTheIndexOwnSignaturesAreStoredNotMatched) {
  const Picture p = MakePicture(Textured(9));
  {
    auto store = OpenStore(/*load_index=*/false);
    ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
    ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256)}).status());
    ASSERT_OK(store->AddOwnSignature("b", p.sha256, p.signature));
    EXPECT_THAT(store->HasOwnSignature("b", p.sha256), IsOkAndHolds(true));
    EXPECT_THAT(store->MatchOwn(p.signature),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_EQ(store->OwnSignatureCount(), 0u);
  }
  auto store = OpenStore();
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(p.signature));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.value, p.sha256);
}

TEST_F(BankStoreTest, RemovingTheEntryOrTheBankDropsItsOwnSignature) {
  const Picture one = MakePicture(Textured(11));
  const Picture two = MakePicture(Textured(12));
  const Picture three = MakePicture(Textured(13));
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("a", BankKind::kMatch, {}).status());
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  ASSERT_OK(store->AddEntries("a", {Sha256(one.sha256), Sha256(two.sha256)})
                .status());
  ASSERT_OK(store->AddEntries("b", {Sha256(three.sha256)}).status());
  ASSERT_OK(store->AddOwnSignature("a", one.sha256, one.signature));
  ASSERT_OK(store->AddOwnSignature("a", two.sha256, two.signature));
  ASSERT_OK(store->AddOwnSignature("b", three.sha256, three.signature));
  ASSERT_EQ(store->OwnSignatureCount(), 3u);

  ASSERT_OK_AND_ASSIGN(
      WriteResult r,
      store->RemoveEntries("a", {{SignalType::kSha256, one.sha256}}));
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(store->OwnSignatureCount(), 2u);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(one.signature));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(two.signature));
  EXPECT_THAT(m, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(BankStats stats, store->Stats("a"));
  EXPECT_EQ(stats.own_signatures, 1);

  ASSERT_OK(store->DeleteBank("b"));
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(three.signature));
  EXPECT_THAT(m, IsEmpty());

  // Gone from disk too: after a restart, and for the entry added again (a
  // new id) or the bank created again.
  store.reset();
  store = OpenStore();
  EXPECT_EQ(store->OwnSignatureCount(), 1u);
  ASSERT_OK(store->AddEntries("a", {Sha256(one.sha256)}).status());
  EXPECT_THAT(store->HasOwnSignature("a", one.sha256), IsOkAndHolds(false));
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  ASSERT_OK(store->AddEntries("b", {Sha256(three.sha256)}).status());
  EXPECT_THAT(store->HasOwnSignature("b", three.sha256), IsOkAndHolds(false));
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(one.signature));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(two.signature));
  ASSERT_THAT(m, SizeIs(1));
  EXPECT_EQ(m[0].entry.value, two.sha256);
}

TEST_F(BankStoreTest, DisabledEntriesDoNotMatchOwnSignatures) {
  const Picture p = MakePicture(Textured(14));
  auto store = OpenStore();
  ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
  ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256)}).status());
  ASSERT_OK(store->AddOwnSignature("b", p.sha256, p.signature));
  ASSERT_OK(store
                ->DisableEntry("b", SignalType::kSha256, p.sha256,
                               clock_.Now() + absl::Hours(2))
                .status());
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(p.signature));
  EXPECT_THAT(m, IsEmpty());
  EXPECT_EQ(store->OwnSignatureCount(), 1u);  // kept, just not matched
  clock_.Advance(absl::Hours(3));
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(p.signature));
  EXPECT_THAT(m, SizeIs(1));
  ASSERT_OK(store
                ->DisableEntry("b", SignalType::kSha256, p.sha256,
                               absl::InfiniteFuture())
                .status());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(p.signature));
  EXPECT_THAT(m, IsEmpty());
  ASSERT_OK(store
                ->DisableEntry("b", SignalType::kSha256, p.sha256,
                               absl::InfinitePast())
                .status());
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(p.signature));
  EXPECT_THAT(m, SizeIs(1));
}

TEST_F(BankStoreTest, ACorruptOwnSignatureRecordIsDataLossAtOpen) {
  const Picture p = MakePicture(Textured(15));
  uint64_t id = 0;
  {
    auto store = OpenStore();
    ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
    ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256)}).status());
    ASSERT_OK(store->AddOwnSignature("b", p.sha256, p.signature));
    ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchOwn(p.signature));
    ASSERT_THAT(m, SizeIs(1));
    id = m[0].entry.id;
  }
  {
    RawDb raw(dir_.Sub("banks"));
    std::string bytes = p.signature.Serialize();
    bytes.resize(bytes.size() - 5);  // truncated
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.family("own"),
                          BigEndianKey(id), bytes)
                    .ok());
  }
  BankStoreOptions options;
  options.path = dir_.Sub("banks");
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("entry ", id))));
  {
    RawDb raw(dir_.Sub("banks"));
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.family("own"),
                          BigEndianKey(id), "garbage")
                    .ok());
  }
  EXPECT_THAT(BankStore::Open(options, &clock_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("entry ", id))));
  // Tools that do not load the index still open it (and can delete the
  // bank).
  auto store = OpenStore(/*load_index=*/false);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->DeleteBank("b"));
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->OwnSignatureCount(), 0u);
}

TEST_F(BankStoreTest, DatabasesFromBeforeOwnSignaturesOpen) {
  const Picture p = MakePicture(Textured(16));
  const PdqHash h = RandomHash(rng_);
  {
    auto store = OpenStore();
    ASSERT_OK(store->CreateBank("b", BankKind::kMatch, {}).status());
    ASSERT_OK(store->AddEntries("b", {Sha256(p.sha256), Pdq(h)}).status());
  }
  {
    RawDb raw(dir_.Sub("banks"));
    ASSERT_TRUE(raw.Has("own"));
    ASSERT_TRUE(raw.db()->DropColumnFamily(raw.family("own")).ok());
  }
  {
    RawDb raw(dir_.Sub("banks"));
    ASSERT_FALSE(raw.Has("own"));  // as an older build left it
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_OK_AND_ASSIGN(std::vector<Match> m, store->MatchPdq({h}, 0));
  EXPECT_THAT(m, SizeIs(1));
  EXPECT_EQ(store->OwnSignatureCount(), 0u);
  ASSERT_OK(store->AddOwnSignature("b", p.sha256, p.signature));
  ASSERT_OK_AND_ASSIGN(m, store->MatchOwn(p.signature));
  EXPECT_THAT(m, SizeIs(1));
}

}  // namespace
}  // namespace hashwatch::matcher
