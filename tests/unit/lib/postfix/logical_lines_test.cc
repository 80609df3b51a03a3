#include "lib/postfix/logical_lines.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

using Views = std::vector<std::string_view>;

TEST(SplitOutsideBracesTest, SeparatorRunsSplit) {
  EXPECT_EQ(SplitOutsideBraces("  a,, b\tc  ", " ,\t"), (Views{"a", "b", "c"}));
  EXPECT_EQ(SplitOutsideBraces("", " "), Views{});
  EXPECT_EQ(SplitOutsideBraces(" \t ", " \t"), Views{});
  // A comma is no separator where it is not named (master.cf fields).
  EXPECT_EQ(SplitOutsideBraces("a,b c", " "), (Views{"a,b", "c"}));
}

TEST(SplitOutsideBracesTest, BracesKeepTheirGroup) {
  EXPECT_EQ(SplitOutsideBraces("-o { a = b, c } x", " ,"),
            (Views{"-o", "{ a = b, c }", "x"}));
  EXPECT_EQ(SplitOutsideBraces("{a {b c} d}e f", " "),
            (Views{"{a {b c} d}e", "f"}));
  // An unbalanced '{' runs to the end; a stray '}' is text.
  EXPECT_EQ(SplitOutsideBraces("x {a b", " "), (Views{"x", "{a b"}));
  EXPECT_EQ(SplitOutsideBraces("a} b", " "), (Views{"a}", "b"}));
}

}  // namespace
}  // namespace mailflow::postfix
