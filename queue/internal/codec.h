// Byte encodings for the queue's RocksDB records and keys (private).
//
// Values: a sequence of fields, each a LEB128 varint (unsigned), a zigzag
// varint (signed), a varint-length-prefixed byte string, or an 8-byte
// little-endian IEEE double. Records start with a version byte; new fields
// are appended at the end and readers treat missing trailing fields as
// their defaults, so old records stay readable.
//
// Keys: fixed-width big-endian so that RocksDB's bytewise order is numeric
// order; signed values have their sign bit flipped first (OrderedInt64).
//
// Thread-safety: value types.
#ifndef HASHWATCH_QUEUE_INTERNAL_CODEC_H_
#define HASHWATCH_QUEUE_INTERNAL_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hashwatch::queue::internal {

// Appends fields to a string.
class Encoder {
 public:
  void Varint(uint64_t v);
  void Signed(int64_t v);  // zigzag
  void Bytes(absl::string_view s);
  void Double(double d);
  void Bool(bool b) { Varint(b ? 1 : 0); }
  // Microseconds since the Unix epoch; InfinitePast and InfiniteFuture
  // survive the round trip.
  void Time(absl::Time t);

  const std::string& data() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order. Each reader returns false on malformed input or at
// the end of the input (ok() tells the two apart).
class Decoder {
 public:
  explicit Decoder(absl::string_view in) : in_(in) {}

  bool Varint(uint64_t* v);
  bool Signed(int64_t* v);
  bool Bytes(std::string* s);
  bool Double(double* d);
  bool Bool(bool* b);
  bool Time(absl::Time* t);
  bool Int(int* v);  // a Signed that fits an int

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

// Fixed-width big-endian integers for keys.
void AppendBigEndian64(std::string* out, uint64_t v);
uint64_t ReadBigEndian64(absl::string_view in);  // in.size() >= 8
// Signed: sign bit flipped, so negatives sort before positives.
void AppendOrderedInt64(std::string* out, int64_t v);
int64_t ReadOrderedInt64(absl::string_view in);
// A time as an ordered int64 of Unix microseconds.
void AppendOrderedTime(std::string* out, absl::Time t);
absl::Time ReadOrderedTime(absl::string_view in);

}  // namespace hashwatch::queue::internal

#endif  // HASHWATCH_QUEUE_INTERNAL_CODEC_H_
