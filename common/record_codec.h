// The one record encoding of the stores (queue items and state, bank and
// entry records, reports): a version, then fields in order.
//
//   record  = version field*
//   version = a varint: one byte for versions below 128, so a record's
//             first byte tells its format version
//   field   = a LEB128 varint (unsigned), a zigzag varint (signed), a
//             varint-length-prefixed byte string, an 8-byte little-endian
//             IEEE double, or a time (zigzag varint of Unix microseconds;
//             InfinitePast/InfiniteFuture survive the round trip)
//
// Evolution: new fields are appended at the end, and readers take missing
// trailing fields as their defaults (RecordDecoder::done()), so old records
// stay readable; a change that old readers must not accept takes a new
// version. Records written before a store used this encoding were JSON
// objects, whose first byte is '{' (0x7b), never a version this encoding
// uses; such stores read both (common/legacy_json.h).
//
// Why this and not a version byte followed by a protobuf message: the
// storage libraries (matcher/, queue/) include no generated proto headers,
// and their records are their own C++ types, so a protobuf message would be
// a second copy of each type with conversion code both ways; the queue's
// item records, the hottest (rewritten by every lease and decision), were
// already in this encoding, so the queue's databases need no migration and
// its speed no new copies; and what protobuf would add for these records
// (optional fields appended over time) the trailing-field rule gives.
//
// Thread-safety: value types.
#ifndef HASHWATCH_COMMON_RECORD_CODEC_H_
#define HASHWATCH_COMMON_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch {

// Appends fields to a string. The first field written is the version.
class RecordEncoder {
 public:
  RecordEncoder() = default;
  explicit RecordEncoder(uint64_t version) { Varint(version); }

  void Varint(uint64_t v);
  void Signed(int64_t v);  // zigzag
  void Bytes(absl::string_view s);
  void Double(double d);
  void Bool(bool b) { Varint(b ? 1 : 0); }
  void Time(absl::Time t);

  const std::string& data() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order. Each reader returns false on malformed input or at
// the end of the input (ok() tells the two apart); never throws.
class RecordDecoder {
 public:
  explicit RecordDecoder(absl::string_view in) : in_(in) {}

  bool Varint(uint64_t* v);
  bool Signed(int64_t* v);
  bool Bytes(std::string* s);
  bool Double(double* d);
  bool Bool(bool* b);
  bool Time(absl::Time* t);
  bool Int(int* v);  // a Signed that fits an int
  // A Varint in [min, max], as the enum E.
  template <typename E>
  bool Enum(E* e, uint64_t min, uint64_t max) {
    uint64_t v = 0;
    if (!Varint(&v)) return false;
    if (v < min || v > max) return Fail();
    *e = static_cast<E>(v);
    return true;
  }

  bool done() const { return in_.empty(); }
  bool ok() const { return ok_; }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  absl::string_view in_;
  bool ok_ = true;
};

// Whether `data` is a record of format `version` (below 128): its first
// byte. A store that once wrote JSON tells its old records by this.
inline bool HasRecordVersion(absl::string_view data, uint64_t version) {
  return !data.empty() && static_cast<uint8_t>(data[0]) == version;
}

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_RECORD_CODEC_H_
