#include "collectors/postfix/defer_reason.h"

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
    {"4.4.1",
     "connect to mx.example.com[192.0.2.10]:25: Connection timed out",
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
    {"4.4.1", "connect to 10.9.0.1[10.9.0.1]:25: No route to host",
     "no_route"},
    {"4.4.1", "connect to 10.9.0.1[10.9.0.1]:25: Network is unreachable",
     "no_route"},
    {"4.2.0",
     "host mx.example[192.0.2.1] said: 450 4.2.0 <a@example>: Recipient "
     "address rejected: Greylisted, see http://postgrey.schweikert.ch/ (in "
     "reply to RCPT TO command)",
     "greylisted"},
    {"4.2.0", "host mx[192.0.2.1] said: 450 4.2.0 try again (in reply to RCPT "
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
    {"4.7.5",
     "Cannot start TLS: handshake failure", "tls_failure"},
    {"4.7.5",
     "Server certificate not verified", "tls_failure"},
    {"4.2.2",
     "host mx[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO "
     "command)",
     "mailbox_full"},
    {"4.0.0", "host mx said: 452 user is over quota", "mailbox_full"},
    {"4.3.0",
     "host mx[192.0.2.1] said: 421 4.3.0 Service not available (in reply to "
     "MAIL FROM command)",
     "rejected_4xx"},
    {"4.0.0",
     "host mx[192.0.2.1] refused to talk to me: 421 too busy",
     "rejected_4xx"},
    {"4.3.0", "mail transport unavailable", "other"},
    {"4.4.2",
     "lost connection with mx[192.0.2.1] while receiving the initial server "
     "greeting",
     "other"},
    {"", "delivery temporarily suspended: connect to mx[192.0.2.1]:25: "
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

}  // namespace
}  // namespace mailflow
