#include "common/ordered_key.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hashwatch {
namespace {

TEST(OrderedKeyTest, BigEndianRoundTripsAtEveryWidth) {
  const uint64_t v = 0x0102030405060708;
  std::string eight;
  AppendBigEndian(&eight, v);
  EXPECT_EQ(eight, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(ReadBigEndian(eight), v);
  EXPECT_EQ(BigEndianKey(v), eight);
  std::string four;
  AppendBigEndian(&four, 0xdeadbeef, 4);
  EXPECT_EQ(four, "\xde\xad\xbe\xef");
  EXPECT_EQ(ReadBigEndian(four, 4), 0xdeadbeefu);
}

TEST(OrderedKeyTest, UnsignedKeysSortNumerically) {
  const std::vector<uint64_t> values = {
      0, 1, 255, 256, 65536, 1ull << 40, std::numeric_limits<uint64_t>::max()};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    EXPECT_LT(BigEndianKey(values[i]), BigEndianKey(values[i + 1]));
  }
}

TEST(OrderedKeyTest, SignedKeysSortNumerically) {
  const std::vector<int64_t> values = {
      std::numeric_limits<int64_t>::min(), -300, -1, 0, 1, 300,
      std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    std::string a, b;
    AppendOrderedInt64(&a, values[i]);
    AppendOrderedInt64(&b, values[i + 1]);
    EXPECT_LT(a, b) << values[i];
    EXPECT_EQ(ReadOrderedInt64(a), values[i]);
  }
}

TEST(OrderedKeyTest, TimesSortAndRoundTripIncludingInfinities) {
  const absl::Time t0 = absl::FromUnixMicros(1'700'000'000'123'456);
  const std::vector<absl::Time> times = {
      absl::InfinitePast(), absl::FromUnixSeconds(-86400), t0,
      t0 + absl::Microseconds(1), absl::InfiniteFuture()};
  for (size_t i = 0; i < times.size(); ++i) {
    std::string a;
    AppendOrderedTime(&a, times[i]);
    ASSERT_EQ(a.size(), 8u);
    EXPECT_EQ(ReadOrderedTime(a), times[i]);
    EXPECT_EQ(MicrosToTime(TimeToMicros(times[i])), times[i]);
    if (i + 1 < times.size()) {
      std::string b;
      AppendOrderedTime(&b, times[i + 1]);
      EXPECT_LT(a, b);
    }
  }
  EXPECT_EQ(TimeToMicros(absl::InfinitePast()),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(TimeToMicros(absl::InfiniteFuture()),
            std::numeric_limits<int64_t>::max());
}

TEST(OrderedKeyTest, PrefixEndBoundsExactlyThePrefixRange) {
  EXPECT_EQ(PrefixEnd("lane"), "lanf");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), "");
  EXPECT_EQ(PrefixEnd(""), "");
  const std::string prefix("x\0", 2);
  EXPECT_LT(prefix + std::string(8, '\xff'), PrefixEnd(prefix));
  EXPECT_GE(std::string("x\x01"), PrefixEnd(prefix));
}

}  // namespace
}  // namespace hashwatch
