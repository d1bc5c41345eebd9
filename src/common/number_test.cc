#include "common/number.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace pgreplica {

TEST(Number, ParsesWholeIntegers) {
  EXPECT_EQ(ParseInt("0"), 0);
  EXPECT_EQ(ParseInt("-42"), -42);
  EXPECT_EQ(ParseInt("2147483647"), 2147483647);
  EXPECT_EQ(ParseInt64("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ParseInt64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(ParseUint64("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
}

TEST(Number, RejectsWhatIsNotExactlyOneInteger) {
  for (const char* bad : {"", " 1", "1 ", "+1", "1x", "x", "0x10", "1.0", "1e3", "--1", "-",
                          "2147483648", "-2147483649", "99999999999999999999"})
    EXPECT_FALSE(ParseInt(bad)) << bad;
  EXPECT_FALSE(ParseInt64("9223372036854775808"));
  EXPECT_FALSE(ParseUint64("-1"));
  EXPECT_FALSE(ParseUint64("18446744073709551616"));
  EXPECT_FALSE(
      ParseInt(std::string_view("1\0"
                                "2",
                                3)));
}

TEST(Number, ParsesFiniteDoublesOnly) {
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("-0.25"), -0.25);
  EXPECT_EQ(ParseDouble("1e3"), 1000.0);
  EXPECT_EQ(ParseDouble("3"), 3.0);
  for (const char* bad : {"", "nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e400", "+1",
                          " 1", "1.5s", "0x1p3", "."})
    EXPECT_FALSE(ParseDouble(bad)) << bad;
}

TEST(Number, CheckedArithmetic) {
  EXPECT_EQ(CheckedMul(1024, 1024), 1048576u);
  EXPECT_FALSE(CheckedMul(std::numeric_limits<std::uint64_t>::max() / 1000, 1024));
  EXPECT_EQ(CheckedAdd(1, 2), 3u);
  EXPECT_FALSE(CheckedAdd(std::numeric_limits<std::uint64_t>::max(), 1));
}

TEST(Number, FitsInt64) {
  EXPECT_TRUE(FitsInt64(0));
  EXPECT_TRUE(FitsInt64(-1.5));
  EXPECT_TRUE(FitsInt64(9.2e18));
  EXPECT_TRUE(FitsInt64(-9223372036854775808.0));
  EXPECT_FALSE(FitsInt64(9223372036854775808.0));
  EXPECT_FALSE(FitsInt64(-9.3e18));
  EXPECT_FALSE(FitsInt64(1e30));
  EXPECT_FALSE(FitsInt64(std::nan("")));
  EXPECT_FALSE(FitsInt64(std::numeric_limits<double>::infinity()));
}

}  // namespace pgreplica
