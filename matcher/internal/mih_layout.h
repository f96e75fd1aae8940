// Multi-index hashing geometry: how the 256 bits split into substrings, how
// each substring addresses its table, and which substrings a search probes
// at which thresholds.
//
// Exactness rests on the generalised pigeonhole principle (Qin et al.,
// "GPH: Similarity Search in Hamming Space", ICDE 2018, which refines the
// floor(r/m) rule of Norouzi et al., CVPR 2012): split the bits into m
// substrings and pick thresholds t_i >= -1 with sum(t_i) >= r - m + 1. If
// d(x, q) <= r then d_i(x, q) <= t_i for at least one i, since otherwise
// d = sum(d_i) >= sum(t_i + 1) > r. A table with t_i = -1 is not probed.
// The thresholds are chosen per radius by a cost model (MakeProbePlans).
#ifndef HASHWATCH_MATCHER_INTERNAL_MIH_LAYOUT_H_
#define HASHWATCH_MATCHER_INTERNAL_MIH_LAYOUT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashwatch::matcher::internal {

inline constexpr int kMinTables = 8;   // substrings of at most 32 bits
inline constexpr int kMaxTables = 16;  // substrings of at least 16 bits

// Substring i is bits [offset[i], offset[i] + width[i]) of the hash (bit k
// as in PdqHash::Bit). Its table's bucket is addressed by the high
// bucket_bits[i] bits of the substring value; the low low_bits[i] bits are
// stored in each entry beside the slot number, so an entry is the 32-bit
// value (slot << low_bits[i]) | low.
struct MihLayout {
  int num_tables = 0;
  std::array<int, kMaxTables> offset{}, width{}, bucket_bits{}, low_bits{};

  // Even split (the first 256 % m substrings one bit wider). bucket_bits
  // is clamped to each width. Requires kMinTables <= m <= kMaxTables.
  static MihLayout Make(int num_tables, int bucket_bits);

  // The largest slot number plus one that fits in an entry.
  uint64_t SlotCapacity() const;

  // Substring `table` of the hash given as four little-endian words.
  uint32_t Key(const uint64_t w[4], int table) const {
    const int off = offset[table], word = off >> 6, shift = off & 63;
    uint64_t v = w[word] >> shift;
    if (shift + width[table] > 64) v |= w[word + 1] << (64 - shift);
    return static_cast<uint32_t>(v & ((uint64_t{1} << width[table]) - 1));
  }
};

// Bucket bits for n stored hashes when the options leave it to us: the
// most that keeps 8.4 or more entries per bucket on average (floor(log2(n /
// 8.4)), at least 4), so 11 tables of 64-byte lines take at most 84 bytes
// per hash; raised if needed until slot numbers below n fit.
int AutoBucketBits(size_t n, int num_tables);

// How one radius is searched in one generation.
struct ProbePlan {
  std::array<int, kMaxTables> threshold{};  // t_i, -1 = not probed
  bool scan = false;          // a linear scan is estimated cheaper
  double est_probes = 0;      // bucket lookups
  double est_candidates = 0;  // hashes verified (random data)
};

// Chooses thresholds minimising the estimated cost for n random hashes
// (greedy on convex per-table costs, which is optimal for a sum constraint;
// the plan for r + 1 is the plan for r plus one step, so all radii come out
// of one pass). Returns plans for radii 0..max_radius.
std::vector<ProbePlan> MakeProbePlans(const MihLayout& layout, size_t n,
                                      int max_radius, bool allow_scan);

// sum_{k=0..t} C(bits, k); 0 for t < 0.
double BallVolume(int bits, int t);

}  // namespace hashwatch::matcher::internal

#endif  // HASHWATCH_MATCHER_INTERNAL_MIH_LAYOUT_H_
