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

// What the prober does with a dripping peer: one byte per read.
ReplyStatus FeedBytewise(SmtpReplyParser* p, std::string_view data,
                         size_t* consumed) {
  *consumed = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    size_t used = 0;
    const ReplyStatus st = p->Feed(data.substr(i, 1), &used);
    *consumed += used;
    if (st != ReplyStatus::kIncomplete) return st;
  }
  return ReplyStatus::kIncomplete;
}

TEST(SmtpReplyParserTest, ByteAtATimeEqualsAllAtOnce) {
  const std::string inputs[] = {
      "220 mx.example ESMTP\r\nrest",
      "250-mx\r\n250-PIPELINING\r\n250-starttls\n250 8BITMIME\r\n250 next\r\n",
      "250-a\r\n251 b\r\n",
      "HTTP/1.1 400 Bad\r\n",
      "250 " + std::string(kMaxReplyLine - 4, 'x') + "\r\n",
      "250 " + std::string(kMaxReplyLine - 3, 'x') + "\r\n",
      "250 " + std::string(kMaxReplyLine, 'x'),
  };
  for (const std::string& in : inputs) {
    SmtpReply whole;
    size_t whole_used = 0;
    const ReplyStatus want = ParseSmtpReply(in, &whole, &whole_used);
    SmtpReplyParser p;
    size_t used = 0;
    ASSERT_EQ(FeedBytewise(&p, in, &used), want) << in.substr(0, 40);
    if (want == ReplyStatus::kComplete) {
      EXPECT_EQ(used, whole_used);
      EXPECT_EQ(p.reply().code, whole.code);
      EXPECT_EQ(p.reply().lines, whole.lines);
    }
  }
}

TEST(SmtpReplyParserTest, LongLinesFailEarlyAndTakeResets) {
  SmtpReplyParser p;
  size_t used = 0;
  EXPECT_EQ(p.Feed("250-" + std::string(kMaxReplyLine, 'x'), &used),
            ReplyStatus::kMalformed);
  p.Reset();
  EXPECT_EQ(p.Feed("250-PIPELINING\r\n", &used), ReplyStatus::kIncomplete);
  EXPECT_EQ(used, 16u);
  EXPECT_EQ(p.bytes(), 16u);
  EXPECT_EQ(p.Feed("250 SIZE\r\n221 bye\r\n", &used), ReplyStatus::kComplete);
  EXPECT_EQ(used, 10u);
  SmtpReply r = p.Take();
  EXPECT_EQ(r.lines, (std::vector<std::string>{"PIPELINING", "SIZE"}));
  EXPECT_EQ(p.bytes(), 0u);
  EXPECT_EQ(p.Feed("221 bye\r\n", &used), ReplyStatus::kComplete);
  EXPECT_EQ(p.reply().code, 221);
}

TEST(SmtpReplyTest, Summary) {
  SmtpReply r;
  r.code = 554;
  r.lines = {"5.3.2 go\x01 away", "second"};
  EXPECT_EQ(ReplySummary(r), "554 5.3.2 go? away");
}

}  // namespace
}  // namespace mailflow
