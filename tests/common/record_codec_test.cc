#include "common/record_codec.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace hashwatch {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(RecordCodecTest, FieldsRoundTripAfterTheVersion) {
  RecordEncoder e(3);
  e.Varint(std::numeric_limits<uint64_t>::max());
  e.Signed(std::numeric_limits<int64_t>::min());
  e.Bytes(std::string("a\0b", 3));
  e.Double(-0.5);
  e.Bool(true);
  e.Time(absl::InfiniteFuture());
  e.Time(kT0);
  const std::string bytes = e.Release();
  EXPECT_EQ(bytes[0], '\x03');  // one-byte version first
  RecordDecoder d(bytes);
  uint64_t version = 0, u = 0;
  int64_t s = 0;
  std::string str;
  double x = 0;
  bool b = false;
  absl::Time t1, t2;
  ASSERT_TRUE(d.Varint(&version) && d.Varint(&u) && d.Signed(&s) &&
              d.Bytes(&str) && d.Double(&x) && d.Bool(&b) && d.Time(&t1) &&
              d.Time(&t2));
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(str, std::string("a\0b", 3));
  EXPECT_EQ(x, -0.5);
  EXPECT_TRUE(b);
  EXPECT_EQ(t1, absl::InfiniteFuture());
  EXPECT_EQ(t2, kT0);
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.ok());
}

TEST(RecordCodecTest, EndOfInputIsNotAnErrorButTruncationIs) {
  RecordEncoder e(1);
  e.Bytes("hello");
  const std::string bytes = e.Release();
  uint64_t v = 0;
  std::string s;
  // Missing trailing fields: a reader stops, still ok(), and takes defaults.
  RecordDecoder whole(bytes);
  ASSERT_TRUE(whole.Varint(&v) && whole.Bytes(&s));
  EXPECT_FALSE(whole.Bytes(&s));
  EXPECT_TRUE(whole.ok());
  // A length that runs past the end is malformed.
  RecordDecoder cut(absl::string_view(bytes).substr(0, 4));
  ASSERT_TRUE(cut.Varint(&v));
  EXPECT_FALSE(cut.Bytes(&s));
  EXPECT_FALSE(cut.ok());
}

TEST(RecordCodecTest, RejectsOutOfRangeValues) {
  RecordEncoder e;
  e.Varint(2);                                             // not a bool
  e.Signed(int64_t{std::numeric_limits<int>::max()} + 1);  // not an int
  const std::string bytes = e.Release();
  RecordDecoder d(bytes);
  bool b = false;
  EXPECT_FALSE(d.Bool(&b));
  EXPECT_FALSE(d.ok());
  RecordDecoder d2(absl::string_view(bytes).substr(1));
  int i = 0;
  EXPECT_FALSE(d2.Int(&i));
  EXPECT_FALSE(d2.ok());
  // Eleven continuation bytes: longer than any 64-bit varint.
  const std::string too_long(11, '\x80');
  RecordDecoder d3(too_long);
  uint64_t v = 0;
  EXPECT_FALSE(d3.Varint(&v));
  EXPECT_FALSE(d3.ok());
}

}  // namespace
}  // namespace hashwatch
