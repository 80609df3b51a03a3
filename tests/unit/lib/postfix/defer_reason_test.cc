#include "lib/postfix/defer_reason.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mailflow {
namespace {

struct Case {
  const char* status;
  const char* text;
  const char* want;
};

// Texts as Postfix 3.7 writes them in defer logs / "status=deferred (...)".
const Case kCases[] = {
    {"4.4.1", "connect to 127.0.0.1[127.0.0.1]:2525: Connection refused",
     "connection_refused"},
    {"4.4.1", "connect to mx.example.com[192.0.2.10]:25: Connection timed out",
     "connection_timed_out"},
    {"4.4.3",
     "Host or domain name not found. Name service error for "
     "name=nx.example type=MX: Host not found, try again",
     "host_not_found"},
    {"4.4.3", "Name service error for name=x.example type=A: Host not found",
     "host_not_found"},
    {"4.4.3",
     "unable to look up host nx-host.invalid: Temporary failure in name "
     "resolution",
     "host_not_found"},
    {"4.4.3", "unable to look up host nx.example: Name or service not known",
     "host_not_found"},
    {"4.4.1", "connect to 10.9.0.1[10.9.0.1]:25: No route to host", "no_route"},
    {"4.4.1", "connect to 10.9.0.1[10.9.0.1]:25: Network is unreachable",
     "no_route"},
    {"4.2.0",
     "host mx.example[192.0.2.1] said: 450 4.2.0 <a@example>: Recipient "
     "address rejected: Greylisted, see http://postgrey.schweikert.ch/ (in "
     "reply to RCPT TO command)",
     "greylisted"},
    {"4.2.0",
     "host mx[192.0.2.1] said: 450 4.2.0 try again (in reply to RCPT "
     "TO command)",
     "greylisted"},
    {"4.7.1",
     "host mx[192.0.2.1] said: 451 4.7.1 Please try again later (in reply to "
     "RCPT TO command)",
     "greylisted"},
    {"4.7.1",
     "host mx[192.0.2.1] said: 450 4.7.1 Client host rejected: cannot find "
     "your reverse hostname (in reply to RCPT TO command)",
     "rejected_4xx"},
    {"4.7.5", "TLS is required, but was not offered by host mx[192.0.2.1]",
     "tls_failure"},
    {"4.7.5", "Cannot start TLS: handshake failure", "tls_failure"},
    {"4.7.5", "Server certificate not verified", "tls_failure"},
    {"4.2.2",
     "host mx[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO "
     "command)",
     "mailbox_full"},
    {"4.0.0", "host mx said: 452 user is over quota", "mailbox_full"},
    {"4.3.0",
     "host mx[192.0.2.1] said: 421 4.3.0 Service not available (in reply to "
     "MAIL FROM command)",
     "rejected_4xx"},
    {"4.0.0", "host mx[192.0.2.1] refused to talk to me: 421 too busy",
     "rejected_4xx"},
    {"4.3.0", "mail transport unavailable", "other"},
    {"4.4.2",
     "lost connection with mx[192.0.2.1] while receiving the initial server "
     "greeting",
     "other"},
    {"",
     "delivery temporarily suspended: connect to mx[192.0.2.1]:25: "
     "Connection refused",
     "connection_refused"},
    {"", "", "other"},
};

TEST(DeferReasonTest, Table) {
  for (const Case& c : kCases) {
    EXPECT_STREQ(DeferReasonName(ClassifyDeferReason(c.status, c.text)), c.want)
        << c.text;
  }
}

TEST(DeferReasonTest, NamesAreDistinctAndBounded) {
  std::set<std::string> names;
  for (int i = 0; i < kDeferReasonCount; ++i) {
    names.insert(DeferReasonName(static_cast<DeferReason>(i)));
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_STREQ(DeferReasonName(DeferReason::kOther), "other");
}

TEST(DeferReasonTest, CaseInsensitiveText) {
  EXPECT_EQ(ClassifyDeferReason("", "CONNECTION REFUSED"),
            DeferReason::kConnectionRefused);
}

// Case folding: every pattern matches in any ASCII case, and only ASCII
// letters fold (a non-ASCII byte is compared as is).
TEST(DeferReasonTest, CaseFoldingPerPattern) {
  EXPECT_EQ(ClassifyDeferReason("", "GREYLISTED"), DeferReason::kGreylisted);
  EXPECT_EQ(ClassifyDeferReason("", "GrAyLiStEd"), DeferReason::kGreylisted);
  EXPECT_EQ(ClassifyDeferReason("", "tls HANDSHAKE failed"),
            DeferReason::kTlsFailure);
  EXPECT_EQ(ClassifyDeferReason("", "ssl_CONNECT ERROR"),
            DeferReason::kTlsFailure);
  EXPECT_EQ(ClassifyDeferReason("", "User Is Over Quota"),
            DeferReason::kMailboxFull);
  EXPECT_EQ(ClassifyDeferReason("", "connection TIMED out"),
            DeferReason::kConnectionTimedOut);
  EXPECT_EQ(ClassifyDeferReason("", "HOST NOT FOUND"),
            DeferReason::kHostNotFound);
  EXPECT_EQ(ClassifyDeferReason("", "NETWORK IS UNREACHABLE"),
            DeferReason::kNoRoute);
  EXPECT_EQ(ClassifyDeferReason("4.7.1", "POLICY rejection"),
            DeferReason::kGreylisted);
  EXPECT_EQ(ClassifyDeferReason("", "host mx SAID: 421 busy"),
            DeferReason::kRejected4xx);
  // "\xC4" is not an upper-case letter to fold.
  EXPECT_EQ(ClassifyDeferReason("",
                                "Connection refus\xC4"
                                "d"),
            DeferReason::kOther);
}

// First matching rule wins: explicit wording beats status codes, and the
// table's order decides between two wordings.
TEST(DeferReasonTest, Precedence) {
  // Greylisting wording beats a refused connection later in the text.
  EXPECT_EQ(ClassifyDeferReason("4.4.1", "greylisted; Connection refused"),
            DeferReason::kGreylisted);
  // TLS beats mailbox full, mailbox full beats connection errors.
  EXPECT_EQ(ClassifyDeferReason("", "mailbox full after TLS handshake"),
            DeferReason::kTlsFailure);
  EXPECT_EQ(ClassifyDeferReason("4.2.2", "Connection refused"),
            DeferReason::kMailboxFull);
  // Refused before timed out, both before DNS and routing.
  EXPECT_EQ(ClassifyDeferReason("", "Connection timed out, Connection refused"),
            DeferReason::kConnectionRefused);
  EXPECT_EQ(ClassifyDeferReason("", "Host not found; No route to host"),
            DeferReason::kHostNotFound);
  // Wording beats the greylisting status code 4.2.0 ...
  EXPECT_EQ(ClassifyDeferReason("4.2.0", "Connection refused"),
            DeferReason::kConnectionRefused);
  // ... which beats a generic 4xx reply.
  EXPECT_EQ(ClassifyDeferReason("4.2.0", "host mx said: 450 go away"),
            DeferReason::kGreylisted);
  // 4.7.1 needs policy wording to be greylisting.
  EXPECT_EQ(ClassifyDeferReason("4.7.1", "host mx said: 450 try later"),
            DeferReason::kGreylisted);
  EXPECT_EQ(ClassifyDeferReason("4.7.1", "host mx said: 450 go away"),
            DeferReason::kRejected4xx);
  EXPECT_EQ(ClassifyDeferReason("4.4.1", "try later"), DeferReason::kOther);
}

// A status code counts in the text only as a word of its own.
TEST(DeferReasonTest, StatusInText) {
  EXPECT_EQ(ClassifyDeferReason("", "host mx said: 452 4.2.2 no room"),
            DeferReason::kMailboxFull);
  EXPECT_EQ(ClassifyDeferReason("", "reply ends in 4.2.2"),
            DeferReason::kMailboxFull);
  EXPECT_EQ(ClassifyDeferReason("", "x4.2.2 y"), DeferReason::kOther);
  EXPECT_EQ(ClassifyDeferReason("", "x 4.2.20 y"), DeferReason::kOther);
  EXPECT_EQ(ClassifyDeferReason("", "x 4.7.1 please retry"),
            DeferReason::kGreylisted);
}

// Texts longer than the classifier's stack buffer, the pattern at the end
// or straddling the buffer's size.
TEST(DeferReasonTest, LongText) {
  for (size_t pad : {0u, 490u, 500u, 511u, 512u, 513u, 4000u}) {
    const std::string text = std::string(pad, 'x') + "CONNECTION REFUSED";
    EXPECT_EQ(ClassifyDeferReason("", text), DeferReason::kConnectionRefused)
        << pad;
    EXPECT_EQ(ClassifyDeferReason("", std::string(pad, 'y') + "refused"),
              DeferReason::kOther)
        << pad;
  }
}

// A pattern must occur whole, not cut by the end of the text.
TEST(DeferReasonTest, PatternCutAtEnd) {
  EXPECT_EQ(ClassifyDeferReason("", "Connection refuse"), DeferReason::kOther);
  EXPECT_EQ(ClassifyDeferReason("", "greylis"), DeferReason::kOther);
  EXPECT_EQ(ClassifyDeferReason("", "said: "), DeferReason::kOther);
}

}  // namespace
}  // namespace mailflow
