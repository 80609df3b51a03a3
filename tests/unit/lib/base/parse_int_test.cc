#include "lib/base/parse_int.h"

#include <gtest/gtest.h>

#include <climits>

namespace mailflow {
namespace {

TEST(ParseIntTest, IsDigits) {
  EXPECT_TRUE(IsDigits("0"));
  EXPECT_TRUE(IsDigits("0123456789"));
  EXPECT_FALSE(IsDigits(""));
  EXPECT_FALSE(IsDigits("-1"));
  EXPECT_FALSE(IsDigits("1 "));
  EXPECT_FALSE(IsDigits("1a"));
}

TEST(ParseIntTest, Accepts) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt("42", 0, 100, &v));
  EXPECT_EQ(v, 42);
  EXPECT_TRUE(ParseInt("-7", -10, 10, &v));
  EXPECT_EQ(v, -7);
  EXPECT_TRUE(ParseInt("007", 0, 10, &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseInt("999999999999999999", 0, INT64_MAX, &v));
  EXPECT_EQ(v, 999999999999999999);
  EXPECT_TRUE(ParseInt("0", 0, 0, &v));
  EXPECT_EQ(v, 0);
}

TEST(ParseIntTest, RefusesAndLeavesOutUnchanged) {
  int64_t v = 5;
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "0x10", "1.0", "1e3", "١",
                          "1000000000000000000"}) {
    EXPECT_FALSE(ParseInt(bad, INT64_MIN, INT64_MAX, &v)) << bad;
  }
  EXPECT_FALSE(ParseInt("101", 0, 100, &v));
  EXPECT_FALSE(ParseInt("-1", 0, 100, &v));
  EXPECT_EQ(v, 5);
}

TEST(ParseIntTest, IntOverload) {
  int v = 0;
  EXPECT_TRUE(ParseInt("3600", 0, 3600, &v));
  EXPECT_EQ(v, 3600);
  EXPECT_FALSE(ParseInt("3601", 0, 3600, &v));
  EXPECT_TRUE(ParseInt("-2147483648", INT_MIN, INT_MAX, &v));
  EXPECT_EQ(v, INT_MIN);
  EXPECT_FALSE(ParseInt("2147483648", INT_MIN, INT_MAX, &v));
}

TEST(ParseIntTest, TcpPort) {
  uint16_t p = 9;
  EXPECT_TRUE(ParseTcpPort("1", &p));
  EXPECT_EQ(p, 1);
  EXPECT_TRUE(ParseTcpPort("65535", &p));
  EXPECT_EQ(p, 65535);
  EXPECT_TRUE(ParseTcpPort("00025", &p));
  EXPECT_EQ(p, 25);
  for (const char* bad : {"0", "65536", "-25", "", "smtp", "25 "}) {
    EXPECT_FALSE(ParseTcpPort(bad, &p)) << bad;
  }
  EXPECT_EQ(p, 25);
}

}  // namespace
}  // namespace mailflow
