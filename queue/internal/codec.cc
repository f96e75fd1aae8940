#include "queue/internal/codec.h"

#include <bit>
#include <cstring>
#include <limits>

namespace hashwatch::queue::internal {
namespace {

constexpr int64_t kPastMicros = std::numeric_limits<int64_t>::min();
constexpr int64_t kFutureMicros = std::numeric_limits<int64_t>::max();

int64_t ToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return kPastMicros;
  if (t == absl::InfiniteFuture()) return kFutureMicros;
  return absl::ToUnixMicros(t);  // saturates, so never hits the sentinels
}

absl::Time FromMicros(int64_t us) {
  if (us == kPastMicros) return absl::InfinitePast();
  if (us == kFutureMicros) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

}  // namespace

void Encoder::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Encoder::Signed(int64_t v) {
  Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void Encoder::Bytes(absl::string_view s) {
  Varint(s.size());
  out_.append(s.data(), s.size());
}

void Encoder::Double(double d) {
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i)
    out_.push_back(static_cast<char>(bits >> (8 * i)));
}

void Encoder::Time(absl::Time t) { Signed(ToMicros(t)); }

bool Decoder::Varint(uint64_t* v) {
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

bool Decoder::Signed(int64_t* v) {
  uint64_t u = 0;
  if (!Varint(&u)) return false;
  *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return true;
}

bool Decoder::Bytes(std::string* s) {
  uint64_t n = 0;
  if (!Varint(&n)) return false;
  if (n > in_.size()) return Fail();
  s->assign(in_.data(), n);
  in_.remove_prefix(n);
  return true;
}

bool Decoder::Double(double* d) {
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

bool Decoder::Bool(bool* b) {
  uint64_t v = 0;
  if (!Varint(&v)) return false;
  if (v > 1) return Fail();
  *b = v == 1;
  return true;
}

bool Decoder::Time(absl::Time* t) {
  int64_t us = 0;
  if (!Signed(&us)) return false;
  *t = FromMicros(us);
  return true;
}

bool Decoder::Int(int* v) {
  int64_t w = 0;
  if (!Signed(&w)) return false;
  if (w < std::numeric_limits<int>::min() ||
      w > std::numeric_limits<int>::max()) {
    return Fail();
  }
  *v = static_cast<int>(w);
  return true;
}

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t ReadBigEndian64(absl::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

void AppendOrderedInt64(std::string* out, int64_t v) {
  AppendBigEndian64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

int64_t ReadOrderedInt64(absl::string_view in) {
  return static_cast<int64_t>(ReadBigEndian64(in) ^ (uint64_t{1} << 63));
}

void AppendOrderedTime(std::string* out, absl::Time t) {
  AppendOrderedInt64(out, ToMicros(t));
}

absl::Time ReadOrderedTime(absl::string_view in) {
  return FromMicros(ReadOrderedInt64(in));
}

}  // namespace hashwatch::queue::internal
