#include "lib/base/ascii_lower.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

TEST(AsciiLowerTest, Char) {
  EXPECT_EQ(AsciiLower('A'), 'a');
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('a'), 'a');
  EXPECT_EQ(AsciiLower('@'), '@');  // just below 'A'
  EXPECT_EQ(AsciiLower('['), '[');  // just above 'Z'
  EXPECT_EQ(AsciiLower('\xC4'), '\xC4');
  static_assert(AsciiLower('Q') == 'q');
}

TEST(AsciiLowerTest, String) {
  EXPECT_EQ(AsciiLower("Mail.Example.ORG"), "mail.example.org");
  EXPECT_EQ(AsciiLower(""), "");
  // Bytes outside ASCII pass through untouched (no locale folding).
  EXPECT_EQ(AsciiLower("\xC3\x84X"), "\xC3\x84x");
  EXPECT_EQ(AsciiLower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

TEST(AsciiLowerTest, EqualsIgnoreAsciiCase) {
  EXPECT_TRUE(EqualsIgnoreAsciiCase("SMTP", "smtp"));
  EXPECT_TRUE(EqualsIgnoreAsciiCase("", ""));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("smtp", "smtps"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("@", "`"));  // 0x40 vs 0x60
  EXPECT_FALSE(EqualsIgnoreAsciiCase("\xC4", "\xE4"));
}

}  // namespace
}  // namespace mailflow
