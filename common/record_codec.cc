#include "common/record_codec.h"

#include <bit>
#include <limits>

#include "common/ordered_key.h"

namespace hashwatch {

void RecordEncoder::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void RecordEncoder::Signed(int64_t v) {
  Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void RecordEncoder::Bytes(absl::string_view s) {
  Varint(s.size());
  out_.append(s.data(), s.size());
}

void RecordEncoder::Double(double d) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i)
    out_.push_back(static_cast<char>(bits >> (8 * i)));
}

void RecordEncoder::Time(absl::Time t) { Signed(TimeToMicros(t)); }

bool RecordDecoder::Varint(uint64_t* v) {
  if (!ok_ || in_.empty()) return false;
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (in_.empty()) return Fail();
    const uint8_t byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return Fail();
}

bool RecordDecoder::Signed(int64_t* v) {
  uint64_t u = 0;
  if (!Varint(&u)) return false;
  *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return true;
}

bool RecordDecoder::Bytes(std::string* s) {
  uint64_t n = 0;
  if (!Varint(&n)) return false;
  if (n > in_.size()) return Fail();
  s->assign(in_.data(), n);
  in_.remove_prefix(n);
  return true;
}

bool RecordDecoder::Double(double* d) {
  if (!ok_ || in_.empty()) return false;
  if (in_.size() < 8) return Fail();
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
  }
  in_.remove_prefix(8);
  *d = std::bit_cast<double>(bits);
  return true;
}

bool RecordDecoder::Bool(bool* b) {
  uint64_t v = 0;
  if (!Varint(&v)) return false;
  if (v > 1) return Fail();
  *b = v == 1;
  return true;
}

bool RecordDecoder::Time(absl::Time* t) {
  int64_t us = 0;
  if (!Signed(&us)) return false;
  *t = MicrosToTime(us);
  return true;
}

bool RecordDecoder::Int(int* v) {
  int64_t w = 0;
  if (!Signed(&w)) return false;
  if (w < std::numeric_limits<int>::min() ||
      w > std::numeric_limits<int>::max()) {
    return Fail();
  }
  *v = static_cast<int>(w);
  return true;
}

}  // namespace hashwatch
