// Key encodings for the RocksDB stores, so that RocksDB's bytewise order is
// numeric order: fixed-width big-endian unsigned integers, signed integers
// with the sign bit flipped (negatives sort first), and times as such
// signed Unix microseconds. Also the microsecond form of a time that the
// stores keep in records, and the end of a key prefix's range.
//
//   std::string key = BigEndianKey(item_id);             // 8 bytes
//   AppendOrderedTime(&key, deadline);                   // 8 more
//   absl::Time t = ReadOrderedTime(key.substr(8, 8));
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_COMMON_ORDERED_KEY_H_
#define HASHWATCH_COMMON_ORDERED_KEY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch {

// Appends the low `bytes` bytes of `v`, most significant first (1..8).
void AppendBigEndian(std::string* out, uint64_t v, int bytes = 8);
// Reads `bytes` bytes (1..8) written by AppendBigEndian; `in` must hold at
// least that many (callers check sizes of what they read from disk).
uint64_t ReadBigEndian(absl::string_view in, int bytes = 8);
// An 8-byte big-endian key.
std::string BigEndianKey(uint64_t v);

// Signed: big-endian with the sign bit flipped.
void AppendOrderedInt64(std::string* out, int64_t v);
int64_t ReadOrderedInt64(absl::string_view in);  // in.size() >= 8

// Unix microseconds; InfinitePast and InfiniteFuture map to INT64_MIN and
// INT64_MAX and back (finite times saturate short of them).
int64_t TimeToMicros(absl::Time t);
absl::Time MicrosToTime(int64_t us);

// A time as an ordered int64 of Unix microseconds (8 bytes).
void AppendOrderedTime(std::string* out, absl::Time t);
absl::Time ReadOrderedTime(absl::string_view in);  // in.size() >= 8

// The smallest key greater than every key starting with `prefix`: the
// exclusive upper bound of the prefix's range. Empty (no bound) when the
// prefix is empty or all 0xff bytes.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_ORDERED_KEY_H_
