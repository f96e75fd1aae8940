#include "common/ordered_key.h"

#include <limits>

namespace hashwatch {
namespace {

constexpr int64_t kPastMicros = std::numeric_limits<int64_t>::min();
constexpr int64_t kFutureMicros = std::numeric_limits<int64_t>::max();
constexpr uint64_t kSignBit = uint64_t{1} << 63;

}  // namespace

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>(v >> (8 * i)));
  }
}

uint64_t ReadBigEndian(absl::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string BigEndianKey(uint64_t v) {
  std::string k;
  AppendBigEndian(&k, v);
  return k;
}

void AppendOrderedInt64(std::string* out, int64_t v) {
  AppendBigEndian(out, static_cast<uint64_t>(v) ^ kSignBit);
}

int64_t ReadOrderedInt64(absl::string_view in) {
  return static_cast<int64_t>(ReadBigEndian(in) ^ kSignBit);
}

int64_t TimeToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return kPastMicros;
  if (t == absl::InfiniteFuture()) return kFutureMicros;
  return absl::ToUnixMicros(t);  // saturates, so never hits the sentinels
}

absl::Time MicrosToTime(int64_t us) {
  if (us == kPastMicros) return absl::InfinitePast();
  if (us == kFutureMicros) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

void AppendOrderedTime(std::string* out, absl::Time t) {
  AppendOrderedInt64(out, TimeToMicros(t));
}

absl::Time ReadOrderedTime(absl::string_view in) {
  return MicrosToTime(ReadOrderedInt64(in));
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace hashwatch
