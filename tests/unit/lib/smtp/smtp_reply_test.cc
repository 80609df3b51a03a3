#include "lib/smtp/smtp_reply.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

TEST(SmtpReplyTest, SingleAndMultiLine) {
  SmtpReply r;
  size_t used = 0;
  ASSERT_EQ(ParseSmtpReply("220 mx.example ESMTP\r\nrest", &r, &used),
            ReplyStatus::kComplete);
  EXPECT_EQ(r.code, 220);
  EXPECT_EQ(used, 22u);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "mx.example ESMTP");
  ASSERT_EQ(ParseSmtpReply(
                "250-mx\r\n250-PIPELINING\r\n250-starttls\n250 8BITMIME\r\n",
                &r, &used),
            ReplyStatus::kComplete);
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.lines.size(), 4u);
  EXPECT_TRUE(EhloOffers(r, "STARTTLS"));
  EXPECT_FALSE(EhloOffers(r, "SIZE"));
  ASSERT_EQ(ParseSmtpReply("250\r\n", &r, &used), ReplyStatus::kComplete);
  EXPECT_EQ(r.lines[0], "");
}

TEST(SmtpReplyTest, IncompleteAndMalformed) {
  SmtpReply r;
  size_t used = 0;
  EXPECT_EQ(ParseSmtpReply("", &r, &used), ReplyStatus::kIncomplete);
  EXPECT_EQ(ParseSmtpReply("220 partial", &r, &used), ReplyStatus::kIncomplete);
  EXPECT_EQ(ParseSmtpReply("250-a\r\n", &r, &used), ReplyStatus::kIncomplete);
  EXPECT_EQ(ParseSmtpReply("HTTP/1.1 400 Bad\r\n", &r, &used),
            ReplyStatus::kMalformed);
  EXPECT_EQ(ParseSmtpReply("250-a\r\n251 b\r\n", &r, &used),
            ReplyStatus::kMalformed);
  EXPECT_EQ(ParseSmtpReply("250xa\r\n", &r, &used), ReplyStatus::kMalformed);
  EXPECT_EQ(ParseSmtpReply("25\r\n", &r, &used), ReplyStatus::kMalformed);
  EXPECT_EQ(ParseSmtpReply(std::string(kMaxReplyLine + 10, '2'), &r, &used),
            ReplyStatus::kMalformed);
  std::string many;
  for (size_t i = 0; i <= kMaxReplyLines; ++i) many += "250-x\r\n";
  EXPECT_EQ(ParseSmtpReply(many, &r, &used), ReplyStatus::kMalformed);
}

TEST(SmtpReplyTest, Summary) {
  SmtpReply r;
  r.code = 554;
  r.lines = {"5.3.2 go\x01 away", "second"};
  EXPECT_EQ(ReplySummary(r), "554 5.3.2 go? away");
}

}  // namespace
}  // namespace mailflow
