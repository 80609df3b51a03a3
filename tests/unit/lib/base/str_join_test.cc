#include "lib/base/str_join.h"

#include <gtest/gtest.h>

#include "lib/base/quoted.h"

namespace mailflow {
namespace {

TEST(StrJoinTest, Joins) {
  EXPECT_EQ(StrJoin({}, ", "), "");
  EXPECT_EQ(StrJoin({"a"}, ", "), "a");
  EXPECT_EQ(StrJoin({"a", "b", "c"}, ":"), "a:b:c");
  // Empty parts keep their separators, so the count of parts stays visible.
  EXPECT_EQ(StrJoin({"", "b", ""}, ","), ",b,");
}

TEST(QuotedTest, Quotes) {
  EXPECT_EQ(Quoted("key"), "\"key\"");
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("a\"b"), "\"a\"b\"");  // as is, not escaped
}

}  // namespace
}  // namespace mailflow
