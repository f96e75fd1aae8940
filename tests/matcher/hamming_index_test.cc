// The Hamming indexes: the MIH index against the brute-force oracle, the
// AVX-512 kernels against the portable ones, writes, and searches running
// concurrently with writes and background rebuilds.
#include "matcher/hamming_index.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/internal/hamming_kernels.h"
#include "matcher/internal/mih_layout.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Entries = std::vector<std::pair<uint64_t, PdqHash>>;

PdqHash RandomHash(std::mt19937_64& rng) {
  PdqHash h;
  for (int i = 0; i < 16; i += 4) {
    const uint64_t x = rng();
    for (int k = 0; k < 4; ++k)
      h.words[i + k] = static_cast<uint16_t>(x >> (16 * k));
  }
  return h;
}

// `h` with `flips` distinct random bits inverted.
PdqHash Flip(PdqHash h, int flips, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  for (int i = 0; i < flips; ++i) {
    std::swap(bits[i], bits[i + rng() % (256 - i)]);
    h.words[bits[i] >> 4] ^= static_cast<uint16_t>(1u << (bits[i] & 15));
  }
  return h;
}

// Ids are spread over the 64-bit range (bank number in the high bits).
uint64_t IdOf(uint64_t i) { return (i % 7) << 56 | (i * 2654435761u); }

Entries RandomEntries(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Entries out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(IdOf(i), RandomHash(rng));
  return out;
}

// Hashes around `centres` random centres, 0..24 bits from their centre: big,
// skewed buckets.
Entries ClusteredEntries(size_t n, int centres, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PdqHash> c;
  for (int i = 0; i < centres; ++i) c.push_back(RandomHash(rng));
  Entries out;
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(
        IdOf(i), Flip(c[rng() % centres], static_cast<int>(rng() % 25), rng));
  }
  return out;
}

// `h` with `flips` bits inverted at evenly spaced positions: every
// substring gets its share, the boundary case of the pigeonhole bound.
PdqHash FlipSpread(PdqHash h, int flips, std::mt19937_64& rng) {
  const int phase = static_cast<int>(rng() % 256);
  for (int i = 0; i < flips; ++i) {
    const int bit = (phase + i * 256 / flips) % 256;
    h.words[bit >> 4] ^= static_cast<uint16_t>(1u << (bit & 15));
  }
  return h;
}

// A third each: fresh random hashes, stored hashes with 0..40 random bits
// flipped, stored hashes with 0..65 evenly spread bits flipped.
std::vector<PdqHash> Queries(const Entries& stored, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PdqHash> q;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0 || stored.empty()) {
      q.push_back(RandomHash(rng));
    } else if (i % 3 == 1) {
      q.push_back(Flip(stored[rng() % stored.size()].second,
                       static_cast<int>(rng() % 41), rng));
    } else {
      q.push_back(FlipSpread(stored[rng() % stored.size()].second,
                             static_cast<int>(rng() % 66), rng));
    }
  }
  return q;
}

std::string Describe(const std::vector<IndexHit>& hits) {
  std::string s;
  for (const IndexHit& h : hits)
    absl::StrAppend(&s, "(", h.id, ",", h.distance, ",", h.variant, ") ");
  return s;
}

constexpr int kRadii[] = {0, 1, 8, 16, 31, 32, 40, 63, 64};

// ---------------------------------------------------------------- kernels

// Each kernel set beyond the portable one must agree with it exactly.
class KernelTest : public ::testing::TestWithParam<PopcountKernel> {
 protected:
  void SetUp() override {
    if (ResolvePopcountKernel(GetParam()) != GetParam()) {
      GTEST_SKIP() << "CPU without this kernel set's instructions";
    }
  }
  const internal::HammingKernels& avx_ = internal::KernelsFor(GetParam());
  const internal::HammingKernels& portable_ = internal::PortableKernels();
};

INSTANTIATE_TEST_SUITE_P(
    Isa, KernelTest,
    ::testing::Values(PopcountKernel::kAvx512, PopcountKernel::kAvx2),
    [](const ::testing::TestParamInfo<PopcountKernel>& info) {
      return info.param == PopcountKernel::kAvx512 ? "Avx512" : "Avx2";
    });

TEST_P(KernelTest, ScansAgreeWithPortable) {
  std::mt19937_64 rng(1);
  std::vector<PdqHash> hashes;
  const PdqHash q = RandomHash(rng);
  for (int i = 0; i < 1003; ++i)
    hashes.push_back(Flip(q, static_cast<int>(rng() % 129), rng));
  std::vector<PdqHash> queries;
  for (int i = 0; i < 8; ++i)
    queries.push_back(Flip(q, static_cast<int>(rng() % 60), rng));
  for (int radius : {0, 20, 64, 128, 256}) {
    for (size_t n : {size_t{0}, size_t{5}, size_t{8}, size_t{1003}}) {
      std::vector<uint32_t> ia(n), ib(n);
      std::vector<uint16_t> da(n), db(n);
      const size_t ka =
          avx_.scan(hashes.data(), n, q, radius, ia.data(), da.data());
      const size_t kb =
          portable_.scan(hashes.data(), n, q, radius, ib.data(), db.data());
      ASSERT_EQ(ka, kb) << radius << " " << n;
      ia.resize(ka), ib.resize(kb), da.resize(ka), db.resize(kb);
      EXPECT_EQ(ia, ib);
      EXPECT_EQ(da, db);
      for (int nq = 1; nq <= 8; ++nq) {
        std::vector<uint32_t> ja(n), jb(n);
        std::vector<uint16_t> ea(n), eb(n);
        std::vector<uint8_t> va(n), vb(n);
        const size_t ma =
            avx_.scan_many(hashes.data(), n, queries.data(), nq, radius,
                           ja.data(), ea.data(), va.data());
        const size_t mb =
            portable_.scan_many(hashes.data(), n, queries.data(), nq, radius,
                                jb.data(), eb.data(), vb.data());
        ASSERT_EQ(ma, mb);
        ja.resize(ma), jb.resize(mb), ea.resize(ma), eb.resize(mb),
            va.resize(ma), vb.resize(mb);
        EXPECT_EQ(ja, jb);
        EXPECT_EQ(ea, eb);
        EXPECT_EQ(va, vb);
      }
    }
  }
}

TEST_P(KernelTest, VerifyAndFiltersAgreeWithPortable) {
  std::mt19937_64 rng(2);
  std::vector<PdqHash> base;
  const PdqHash q = RandomHash(rng);
  for (int i = 0; i < 500; ++i)
    base.push_back(Flip(q, static_cast<int>(rng() % 80), rng));
  std::vector<uint32_t> slots;
  for (int i = 0; i < 301; ++i)
    slots.push_back(static_cast<uint32_t>(rng() % base.size()));
  for (int radius : {0, 31, 64}) {
    std::vector<uint32_t> sa(slots.size()), sb(slots.size());
    std::vector<uint16_t> da(slots.size()), db(slots.size());
    const size_t ka = avx_.verify(base.data(), slots.data(), slots.size(), q,
                                  radius, sa.data(), da.data());
    const size_t kb = portable_.verify(base.data(), slots.data(), slots.size(),
                                       q, radius, sb.data(), db.data());
    ASSERT_EQ(ka, kb);
    sa.resize(ka), sb.resize(kb), da.resize(ka), db.resize(kb);
    EXPECT_EQ(sa, sb);
    EXPECT_EQ(da, db);
  }
  std::vector<internal::HalfHash> lo, hi;
  for (const PdqHash& h : base) {
    uint64_t w[4];
    internal::LoadWords(h, w);
    lo.push_back({{w[0], w[1]}});
    hi.push_back({{w[2], w[3]}});
  }
  for (int radius : {0, 31, 64}) {
    std::vector<uint32_t> sa(slots.size()), sb(slots.size()), sc(slots.size());
    std::vector<uint16_t> da(slots.size()), db(slots.size()), dc(slots.size());
    const size_t ka =
        avx_.verify_split(lo.data(), hi.data(), slots.data(), slots.size(), q,
                          radius, sa.data(), da.data());
    const size_t kb =
        portable_.verify_split(lo.data(), hi.data(), slots.data(), slots.size(),
                               q, radius, sb.data(), db.data());
    const size_t kc = portable_.verify(base.data(), slots.data(), slots.size(),
                                       q, radius, sc.data(), dc.data());
    ASSERT_EQ(ka, kc);
    ASSERT_EQ(kb, kc);
    sa.resize(ka), sb.resize(kb), sc.resize(kc), da.resize(ka), db.resize(kb),
        dc.resize(kc);
    EXPECT_EQ(sa, sc);
    EXPECT_EQ(sb, sc);
    EXPECT_EQ(da, dc);
    EXPECT_EQ(db, dc);
  }
  std::vector<uint32_t> entries;
  for (int i = 0; i < 77; ++i) entries.push_back(static_cast<uint32_t>(rng()));
  // Bucket lines: 15 entries and a header (count, or a full line's flag).
  alignas(64) uint32_t lines[4][16];
  for (int l = 0; l < 4; ++l) {
    for (int k = 0; k < 15; ++k) lines[l][k] = static_cast<uint32_t>(rng());
  }
  lines[0][15] = 0;
  lines[1][15] = 7;
  lines[2][15] = 15;
  lines[3][15] = 16 | (1234u << 5);  // full, continues elsewhere: 15 inline
  for (int low_bits = 0; low_bits < 12; ++low_bits) {
    for (int budget = 0; budget <= 12; ++budget) {
      for (size_t n : {size_t{0}, size_t{3}, size_t{16}, size_t{77}}) {
        std::vector<uint32_t> oa(n + 16), ob(n + 16);
        const uint32_t q_low =
            static_cast<uint32_t>(rng()) & ((1u << low_bits) - 1);
        const size_t ka =
            avx_.filter(entries.data(), n, q_low, low_bits, budget, oa.data());
        const size_t kb = portable_.filter(entries.data(), n, q_low, low_bits,
                                           budget, ob.data());
        ASSERT_EQ(ka, kb) << low_bits << " " << budget << " " << n;
        oa.resize(ka), ob.resize(kb);
        EXPECT_EQ(oa, ob);
      }
      for (const auto& line : lines) {
        std::vector<uint32_t> oa(16), ob(16);
        const uint32_t q_low =
            static_cast<uint32_t>(rng()) & ((1u << low_bits) - 1);
        const size_t ka =
            avx_.filter_line(line, q_low, low_bits, budget, oa.data());
        const size_t kb =
            portable_.filter_line(line, q_low, low_bits, budget, ob.data());
        ASSERT_EQ(ka, kb) << low_bits << " " << budget << " header "
                          << line[15];
        ASSERT_LE(ka, 15u);
        oa.resize(ka), ob.resize(kb);
        EXPECT_EQ(oa, ob);
      }
    }
  }
}

TEST(KernelDispatchTest, PortableIsAlwaysAvailableOnRequest) {
  EXPECT_EQ(ResolvePopcountKernel(PopcountKernel::kPortable),
            PopcountKernel::kPortable);
  EXPECT_EQ(ResolvePopcountKernel(PopcountKernel::kAuto),
            ResolvePopcountKernel(PopcountKernel::kAvx512));
  EXPECT_EQ(internal::KernelsFor(PopcountKernel::kPortable).isa,
            PopcountKernel::kPortable);
}

TEST(KernelDispatchTest, ResolvesToTheWidestTheCpuHasUpToTheRequest) {
  const bool avx512 = internal::CpuHasAvx512Popcount();
  const bool avx2 = internal::CpuHasAvx2Popcount();
  const PopcountKernel below_avx512 =
      avx2 ? PopcountKernel::kAvx2 : PopcountKernel::kPortable;
  EXPECT_EQ(ResolvePopcountKernel(PopcountKernel::kAuto),
            avx512 ? PopcountKernel::kAvx512 : below_avx512);
  EXPECT_EQ(ResolvePopcountKernel(PopcountKernel::kAvx512),
            avx512 ? PopcountKernel::kAvx512 : below_avx512);
  EXPECT_EQ(ResolvePopcountKernel(PopcountKernel::kAvx2), below_avx512);
  for (PopcountKernel k : {PopcountKernel::kAuto, PopcountKernel::kPortable,
                           PopcountKernel::kAvx2, PopcountKernel::kAvx512}) {
    EXPECT_EQ(internal::KernelsFor(k).isa, ResolvePopcountKernel(k));
  }
}

// ---------------------------------------------------------------- layout

TEST(MihLayoutTest, ThresholdsSatisfyThePigeonholeBound) {
  for (int m : {8, 11, 16}) {
    const internal::MihLayout layout = internal::MihLayout::Make(m, 20);
    int total = 0;
    for (int i = 0; i < m; ++i) total += layout.width[i];
    EXPECT_EQ(total, 256);
    for (size_t n : {size_t{0}, size_t{1000}, size_t{10000000}}) {
      const std::vector<internal::ProbePlan> plans =
          internal::MakeProbePlans(layout, n, kMaxIndexRadius, false);
      ASSERT_EQ(plans.size(), kMaxIndexRadius + 1u);
      for (int r = 0; r <= kMaxIndexRadius; ++r) {
        const internal::ProbePlan& plan = plans[r];
        int sum = 0;
        for (int i = 0; i < m; ++i) sum += plan.threshold[i];
        EXPECT_GE(sum, r - m + 1) << "m=" << m << " n=" << n << " r=" << r;
      }
    }
  }
}

// ---------------------------------------------------------------- indexes

struct Variant {
  std::string name;
  PopcountKernel kernel;
  bool allow_scan;
  int num_tables;
  int bucket_bits = 0;

  friend void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }
};

class MihAgreementTest : public ::testing::TestWithParam<Variant> {
 protected:
  MihIndexOptions Options() const {
    MihIndexOptions o;
    o.kernel = GetParam().kernel;
    o.allow_scan = GetParam().allow_scan;
    o.num_tables = GetParam().num_tables;
    o.bucket_bits = GetParam().bucket_bits;
    o.background_merge = false;
    return o;
  }
  std::unique_ptr<HammingIndex> Oracle() const {
    return NewBruteForceIndex({.kernel = PopcountKernel::kPortable});
  }

  // Every query at every radius, alone and as groups of eight.
  void ExpectSameResults(const HammingIndex& mih, const HammingIndex& oracle,
                         const std::vector<PdqHash>& queries) {
    ASSERT_EQ(mih.size(), oracle.size());
    for (int r : kRadii) {
      for (size_t i = 0; i < queries.size(); ++i) {
        const auto want = oracle.Search(queries[i], r);
        const auto got = mih.Search(queries[i], r);
        ASSERT_EQ(got, want) << "radius " << r << " query " << i << "\n got  "
                             << Describe(got) << "\n want " << Describe(want);
      }
      for (size_t i = 0; i + 8 <= queries.size(); i += 8) {
        const absl::Span<const PdqHash> group(&queries[i], 8);
        const auto want = oracle.SearchMany(group, r);
        const auto got = mih.SearchMany(group, r);
        ASSERT_EQ(got, want) << "radius " << r << " group " << i << "\n got  "
                             << Describe(got) << "\n want " << Describe(want);
      }
    }
  }
};

TEST_P(MihAgreementTest, AgreesWithBruteForceOnRandomHashes) {
  const Entries entries = RandomEntries(20000, 11);
  auto mih = NewMihIndex(Options());
  auto oracle = Oracle();
  mih->BulkLoad(entries);
  oracle->BulkLoad(entries);
  ExpectSameResults(*mih, *oracle, Queries(entries, 48, 12));
}

TEST_P(MihAgreementTest, AgreesWithBruteForceOnClusteredHashes) {
  const Entries entries = ClusteredEntries(20000, 40, 13);
  auto mih = NewMihIndex(Options());
  auto oracle = Oracle();
  mih->BulkLoad(entries);
  oracle->BulkLoad(entries);
  ExpectSameResults(*mih, *oracle, Queries(entries, 24, 14));
}

// Thousands of ids under one hash and its near copies: every table has a
// few huge buckets (spill runs, fewer buckets for the skewed tables).
TEST_P(MihAgreementTest, AgreesWithBruteForceOnHeavilyDuplicatedHashes) {
  Entries entries = RandomEntries(1000, 18);
  std::mt19937_64 rng(19);
  const PdqHash popular = RandomHash(rng);
  for (uint64_t i = 0; i < 8000; ++i) {
    entries.emplace_back(
        IdOf(100000 + i),
        i % 2 ? popular : Flip(popular, static_cast<int>(i % 5), rng));
  }
  auto mih = NewMihIndex(Options());
  auto oracle = Oracle();
  mih->BulkLoad(entries);
  oracle->BulkLoad(entries);
  std::vector<PdqHash> queries = Queries(entries, 9, 20);
  for (int flips : {0, 3, 12}) queries.push_back(Flip(popular, flips, rng));
  ExpectSameResults(*mih, *oracle, queries);
}

// The same data arriving as live writes: merges, removals, replacements,
// and a non-empty delta when searched.
TEST_P(MihAgreementTest, AgreesWithBruteForceAfterLiveWrites) {
  MihIndexOptions options = Options();
  options.merge_threshold = 700;
  auto mih = NewMihIndex(options);
  auto oracle = Oracle();
  const Entries entries = RandomEntries(6000, 15);
  mih->BulkLoad(absl::MakeConstSpan(entries).subspan(0, 2000));
  oracle->BulkLoad(absl::MakeConstSpan(entries).subspan(0, 2000));
  std::mt19937_64 rng(16);
  for (size_t i = 2000; i < entries.size(); ++i) {
    mih->Upsert(entries[i].first, entries[i].second);
    oracle->Upsert(entries[i].first, entries[i].second);
    const auto& victim = entries[rng() % i];
    if (i % 5 == 0) {
      EXPECT_EQ(mih->Remove(victim.first), oracle->Remove(victim.first));
    } else if (i % 7 == 0) {
      const PdqHash moved =
          Flip(victim.second, static_cast<int>(rng() % 30), rng);
      mih->Upsert(victim.first, moved);
      oracle->Upsert(victim.first, moved);
    }
  }
  ExpectSameResults(*mih, *oracle, Queries(entries, 32, 17));
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, MihAgreementTest,
    ::testing::Values(
        Variant{"Auto", PopcountKernel::kAuto, false, 11},
        Variant{"Portable", PopcountKernel::kPortable, false, 11},
        Variant{"AutoScanAllowed", PopcountKernel::kAuto, true, 11},
        Variant{"SixteenTables", PopcountKernel::kAuto, false, 16},
        Variant{"EightTables", PopcountKernel::kAuto, false, 8},
        // Few buckets: nearly every line is full and continues
        // in the spill area.
        Variant{"FullBuckets", PopcountKernel::kAuto, false, 11, 6},
        Variant{"FullBucketsPortable", PopcountKernel::kPortable, false, 11,
                6}),
    [](const auto& info) { return info.param.name; });

TEST(BruteForceIndexTest, PortableAndAvx512Agree) {
  const Entries entries = RandomEntries(5000, 21);
  auto a = NewBruteForceIndex({.kernel = PopcountKernel::kPortable});
  auto b = NewBruteForceIndex({.kernel = PopcountKernel::kAuto});
  a->BulkLoad(entries);
  b->BulkLoad(entries);
  const std::vector<PdqHash> q = Queries(entries, 16, 22);
  for (int r : kRadii) {
    for (const PdqHash& x : q) ASSERT_EQ(a->Search(x, r), b->Search(x, r));
    ASSERT_EQ(a->SearchMany(q, r), b->SearchMany(q, r));
  }
}

// SearchMany is, per id, the minimum over separate searches.
TEST(BruteForceIndexTest, SearchManyIsTheMinimumOfSearches) {
  const Entries entries = RandomEntries(3000, 23);
  auto index = NewBruteForceIndex();
  index->BulkLoad(entries);
  std::vector<PdqHash> q = Queries(entries, 10, 24);
  q.push_back(q[1]);  // a repeated query: the lower index wins the tie
  for (int r : {16, 40}) {
    std::vector<IndexHit> want;
    for (size_t v = 0; v < q.size(); ++v) {
      for (IndexHit h : index->Search(q[v], r)) {
        h.variant = static_cast<int>(v);
        want.push_back(h);
      }
    }
    std::sort(want.begin(), want.end(),
              [](const IndexHit& a, const IndexHit& b) {
                return std::tie(a.id, a.distance, a.variant) <
                       std::tie(b.id, b.distance, b.variant);
              });
    want.erase(std::unique(want.begin(), want.end(),
                           [](const IndexHit& a, const IndexHit& b) {
                             return a.id == b.id;
                           }),
               want.end());
    std::sort(want.begin(), want.end(),
              [](const IndexHit& a, const IndexHit& b) {
                return std::tie(a.distance, a.id) < std::tie(b.distance, b.id);
              });
    EXPECT_EQ(index->SearchMany(q, r), want);
  }
}

// ---------------------------------------------------------------- behaviour

class IndexBehaviourTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<HammingIndex> Make() const {
    if (GetParam() == "BruteForce") return NewBruteForceIndex();
    MihIndexOptions o;
    o.merge_threshold = 3;
    o.background_merge = GetParam() == "MihBackground";
    return NewMihIndex(o);
  }
};

TEST_P(IndexBehaviourTest, EmptyIndexFindsNothing) {
  auto index = Make();
  std::mt19937_64 rng(31);
  const PdqHash q = RandomHash(rng);
  EXPECT_THAT(index->Search(q, 64), IsEmpty());
  EXPECT_THAT(index->SearchMany({q, q}, 64), IsEmpty());
  EXPECT_THAT(index->SearchMany({}, 31), IsEmpty());
  EXPECT_EQ(index->size(), 0u);
  EXPECT_FALSE(index->Remove(7));
  index->BulkLoad({});
  EXPECT_THAT(index->Search(q, 64), IsEmpty());
}

TEST_P(IndexBehaviourTest, UpsertReplacesTheHash) {
  auto index = Make();
  std::mt19937_64 rng(32);
  const PdqHash a = RandomHash(rng), b = RandomHash(rng);
  index->Upsert(5, a);
  EXPECT_THAT(index->Search(a, 0), ElementsAre(IndexHit{5, 0, 0}));
  index->Upsert(5, b);
  EXPECT_THAT(index->Search(a, 10), IsEmpty());
  EXPECT_THAT(index->Search(b, 0), ElementsAre(IndexHit{5, 0, 0}));
  EXPECT_EQ(index->size(), 1u);
  for (int i = 0; i < 10; ++i)
    index->Upsert(100 + i, RandomHash(rng));  // merges
  index->Upsert(5, a);
  EXPECT_THAT(index->Search(b, 10), IsEmpty());
  EXPECT_THAT(index->Search(a, 0), ElementsAre(IndexHit{5, 0, 0}));
  EXPECT_EQ(index->size(), 11u);
}

TEST_P(IndexBehaviourTest, RemoveMakesTheIdUnfindable) {
  auto index = Make();
  std::mt19937_64 rng(33);
  const PdqHash a = RandomHash(rng);
  const PdqHash near = Flip(a, 3, rng);
  index->Upsert(1, a);
  index->Upsert(2, near);
  EXPECT_THAT(index->Search(a, 5),
              ElementsAre(IndexHit{1, 0, 0}, IndexHit{2, 3, 0}));
  EXPECT_TRUE(index->Remove(1));
  EXPECT_FALSE(index->Remove(1));
  EXPECT_THAT(index->Search(a, 5), ElementsAre(IndexHit{2, 3, 0}));
  for (int i = 0; i < 10; ++i)
    index->Upsert(100 + i, RandomHash(rng));  // merges
  EXPECT_TRUE(index->Remove(2));
  EXPECT_THAT(index->Search(a, 64), IsEmpty());
  index->Upsert(1, a);  // re-added
  EXPECT_THAT(index->Search(a, 5), ElementsAre(IndexHit{1, 0, 0}));
  EXPECT_EQ(index->size(), 11u);
}

TEST_P(IndexBehaviourTest, DuplicateHashesUnderTwoIdsAreBothFound) {
  auto index = Make();
  std::mt19937_64 rng(34);
  const PdqHash a = RandomHash(rng);
  index->BulkLoad({{9, a}, {4, a}});
  index->Upsert(6, a);
  EXPECT_THAT(
      index->Search(a, 0),
      ElementsAre(IndexHit{4, 0, 0}, IndexHit{6, 0, 0}, IndexHit{9, 0, 0}));
  const PdqHash variants[] = {Flip(a, 40, rng), Flip(a, 2, rng),
                              Flip(a, 2, rng)};
  // Ties between queries go to the lowest index.
  const PdqHash tied[] = {variants[1], variants[1]};
  EXPECT_THAT(
      index->SearchMany(tied, 2),
      ElementsAre(IndexHit{4, 2, 0}, IndexHit{6, 2, 0}, IndexHit{9, 2, 0}));
  EXPECT_THAT(
      index->SearchMany(variants, 2),
      ElementsAre(IndexHit{4, 2, 1}, IndexHit{6, 2, 1}, IndexHit{9, 2, 1}));
}

TEST_P(IndexBehaviourTest,
       BulkLoadKeepsTheLastOfEqualIdsAndMergesWithContents) {
  auto index = Make();
  std::mt19937_64 rng(35);
  const PdqHash a = RandomHash(rng), b = RandomHash(rng), c = RandomHash(rng);
  index->Upsert(1, a);
  index->Upsert(2, a);
  index->BulkLoad({{3, c}, {2, c}, {3, b}});
  EXPECT_EQ(index->size(), 3u);
  EXPECT_THAT(index->Search(a, 0), ElementsAre(IndexHit{1, 0, 0}));
  EXPECT_THAT(index->Search(b, 0), ElementsAre(IndexHit{3, 0, 0}));
  EXPECT_THAT(index->Search(c, 0), ElementsAre(IndexHit{2, 0, 0}));
  EXPECT_TRUE(index->Remove(2));
  EXPECT_THAT(index->Search(c, 0), IsEmpty());
  EXPECT_GT(index->MemoryBytes(), 3 * sizeof(PdqHash));
}

INSTANTIATE_TEST_SUITE_P(Indexes, IndexBehaviourTest,
                         ::testing::Values("BruteForce", "MihSync",
                                           "MihBackground"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------- concurrency

// One writer upserts and removes while another thread searches; every search is
// then checked against the write history. Each write is bracketed by two
// ticks of a global counter and each search reads it before and after,
// which orders them without sleeps. For every id, the versions a search may
// see are those written before it ended and not overwritten before it began.
// A search must (a) report an id only at the distance of one of those
// versions, and (b) report every id that was present throughout (none of its
// possible versions is a removal) with all its possible versions in radius,
// at the distance of one of them (exactly, when there is only one).
class ConcurrencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConcurrencyTest, SearchesStayConsistentWhileWritesAndMergesRun) {
  constexpr int kIds = 2000;
  constexpr int kCentres = 20;
  constexpr int kMinWrites = 5000, kMaxWrites = 100000;
  constexpr int kRadius = 31;
  constexpr size_t kMaxObserved = 2000;  // overlapping searches checked
  MihIndexOptions options;
  options.merge_threshold = 64;
  options.background_merge = GetParam();
  auto index = NewMihIndex(options);

  // Ids share 20 centres and every version lies 0..30 bits from its id's
  // centre, so a query near a centre finds ~100 ids whose distances keep
  // changing, most but not all within the radius.
  std::mt19937_64 rng(41);
  std::vector<PdqHash> centre;
  for (int i = 0; i < kCentres; ++i) centre.push_back(RandomHash(rng));
  auto version_hash = [&](int id, int version) {
    std::mt19937_64 r(static_cast<uint64_t>(id) * 1000003u + version);
    return Flip(centre[id % kCentres], static_cast<int>(r() % 31), r);
  };
  std::vector<PdqHash> queries;
  for (int i = 0; i < kCentres; ++i) queries.push_back(Flip(centre[i], 1, rng));

  struct Event {
    bool removed;
    PdqHash hash;
    uint64_t begin, end;  // ticks around the write
  };
  std::vector<std::vector<Event>> history(kIds);
  Entries initial;
  for (int id = 0; id < kIds; ++id) {
    initial.emplace_back(id, version_hash(id, 0));
    history[id].push_back({false, initial.back().second, 0, 0});
  }
  index->BulkLoad(initial);

  std::atomic<uint64_t> tick{1};
  struct Observed {
    std::vector<int> queries;  // one through Search, or more through SearchMany
    uint64_t begin, end;
    std::vector<IndexHit> hits;
  };
  // One reader: with the writer that is two threads, so on a 2-core machine
  // they mostly run at the same time.
  std::vector<Observed> observed[1];
  std::atomic<int> readers_full{0};
  std::atomic<bool> writer_done{false};
  std::atomic<int> search_number{0};
  std::latch start(2);

  // Writes until the reader has its searches (at least kMinWrites).
  std::thread writer([&] {
    std::mt19937_64 w(42);
    std::vector<int> version(kIds, 0);
    std::vector<bool> present(kIds, true);
    int last_search = -1, writes_this_search = 0;
    start.arrive_and_wait();
    for (int i = 0;
         i < kMaxWrites && (i < kMinWrites || readers_full.load() < 1); ++i) {
      const int id = static_cast<int>(w() % kIds);
      const bool remove = present[id] && w() % 4 == 0;
      const PdqHash hash = remove ? PdqHash{} : version_hash(id, ++version[id]);
      // Write only while a search runs, at most four times per search, so
      // that most searches overlap writes even when the two threads rarely
      // get a core at the same time.
      for (;;) {
        const int s = search_number.load();
        if (readers_full.load() >= 1) break;
        if (s > 0 && s % 2 == 1 &&
            (s != last_search || writes_this_search < 4)) {
          if (s != last_search) writes_this_search = 0;
          last_search = s;
          ++writes_this_search;
          break;
        }
        std::this_thread::yield();
      }
      const uint64_t b = tick.fetch_add(1);
      if (remove) {
        EXPECT_TRUE(index->Remove(id));
      } else {
        index->Upsert(id, hash);
      }
      const uint64_t e = tick.fetch_add(1);
      present[id] = !remove;
      history[id].push_back({remove, hash, b, e});
    }
    writer_done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 1; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 r(43 + t);
      start.arrive_and_wait();
      while (!writer_done.load()) {
        // Mostly eight queries at once: long searches overlap more writes.
        std::vector<int> q = {static_cast<int>(r() % kCentres)};
        while (r() % 4 != 0 && q.size() < 8)
          q.push_back(static_cast<int>(r() % kCentres));
        std::vector<PdqHash> group;
        for (int i : q) group.push_back(queries[i]);
        search_number.fetch_add(1);  // odd: a search is running
        const uint64_t b = tick.load();
        std::vector<IndexHit> hits = q.size() == 1
                                         ? index->Search(group[0], kRadius)
                                         : index->SearchMany(group, kRadius);
        const uint64_t e = tick.load();
        search_number.fetch_add(1);
        // Only searches that overlapped a write say anything about
        // concurrency (the agreement tests cover the others).
        if (e > b && observed[t].size() < kMaxObserved) {
          observed[t].push_back({q, b, e, std::move(hits)});
          if (observed[t].size() == kMaxObserved) readers_full.fetch_add(1);
        }
      }
    });
  }
  writer.join();
  for (std::thread& th : readers) th.join();

  size_t searches = 0;
  for (const auto& list : observed) {
    for (const Observed& o : list) {
      ++searches;
      // The hit a hash would give: smallest distance, lowest query index.
      auto expected = [&](const PdqHash& h) {
        IndexHit best{0, 257, 0};
        for (size_t v = 0; v < o.queries.size(); ++v) {
          const int d = HammingDistance(queries[o.queries[v]], h);
          if (d < best.distance) best = {0, d, static_cast<int>(v)};
        }
        return best;
      };
      std::vector<const IndexHit*> reported(kIds, nullptr);
      for (const IndexHit& h : o.hits) {
        ASSERT_LT(h.id, static_cast<uint64_t>(kIds));
        ASSERT_EQ(reported[h.id], nullptr)
            << "id " << h.id << " reported twice";
        reported[h.id] = &h;
      }
      for (int id = 0; id < kIds; ++id) {
        const auto& hist = history[id];
        std::vector<const Event*> possible;
        for (size_t v = 0; v < hist.size(); ++v) {
          const bool written_before_end = hist[v].begin < o.end || v == 0;
          const bool overwritten_before_begin =
              v + 1 < hist.size() && hist[v + 1].end < o.begin;
          if (written_before_end && !overwritten_before_begin)
            possible.push_back(&hist[v]);
        }
        const IndexHit* hit = reported[id];
        bool matches_possible = false, always_in_radius = true,
             ever_removed = false;
        for (const Event* e : possible) {
          if (e->removed) {
            ever_removed = true;
            continue;
          }
          const IndexHit want = expected(e->hash);
          if (want.distance > kRadius) always_in_radius = false;
          if (hit != nullptr && hit->distance == want.distance &&
              hit->variant == want.variant) {
            matches_possible = true;
          }
        }
        // (a)
        if (hit != nullptr) {
          ASSERT_TRUE(matches_possible)
              << "id " << id << " reported at distance " << hit->distance
              << " variant " << hit->variant
              << ", no version it could have seen has that";
        }
        // (b)
        if (!ever_removed && always_in_radius) {
          ASSERT_NE(hit, nullptr)
              << "id " << id << " present throughout but not reported ("
              << possible.size() << " possible versions)";
        }
      }
    }
  }
  // The check is only meaningful if searches really overlapped writes.
  EXPECT_GT(searches, 500u);
}

INSTANTIATE_TEST_SUITE_P(Merges, ConcurrencyTest,
                         ::testing::Values(false, true), [](const auto& info) {
                           return std::string(info.param ? "Background"
                                                         : "Inline");
                         });

}  // namespace
}  // namespace hashwatch::matcher
