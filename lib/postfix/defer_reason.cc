#include "lib/postfix/defer_reason.h"

#include <cstddef>
#include <string>

namespace mailflow {
namespace {

// One classification rule. A rule matches when every condition it sets
// holds: `status` equals the DSN status or appears as " STATUS " in the
// text (a remote reply "said: 450 4.2.0 ..."); `text` occurs in the reason
// text, compared without regard to ASCII case (the text is lower-cased
// once, so `text` is written in lower case: checked at compile time).
struct Rule {
  DeferReason reason;
  std::string_view status;  // empty: any
  std::string_view text;    // empty: any
};

// THE pattern table (documented in docs/metrics.md). Order matters: the
// first matching rule wins, so explicit wording beats generic status codes.
constexpr Rule kRules[] = {
    // Greylisting says so in most implementations (postgrey, policyd-weight,
    // rspamd, Exchange "Greylisted, please try again").
    {DeferReason::kGreylisted, "", "greylist"},
    {DeferReason::kGreylisted, "", "graylist"},
    {DeferReason::kGreylisted, "", "grey-list"},
    // TLS: Postfix smtp(8) wording for policy and handshake failures.
    {DeferReason::kTlsFailure, "", "tls is required, but"},
    {DeferReason::kTlsFailure, "", "cannot start tls"},
    {DeferReason::kTlsFailure, "", "tls handshake"},
    {DeferReason::kTlsFailure, "", "ssl_connect error"},
    {DeferReason::kTlsFailure, "", "certificate verification failed"},
    {DeferReason::kTlsFailure, "", "server certificate not"},
    {DeferReason::kTlsFailure, "", "tls library problem"},
    // Mailbox full / over quota (RFC 3463 4.2.2).
    {DeferReason::kMailboxFull, "4.2.2", ""},
    {DeferReason::kMailboxFull, "", "mailbox full"},
    {DeferReason::kMailboxFull, "", "mailbox is full"},
    {DeferReason::kMailboxFull, "", "over quota"},
    {DeferReason::kMailboxFull, "", "quota exceeded"},
    {DeferReason::kMailboxFull, "", "exceeded storage allocation"},
    // Connection setup (errno text after "connect to HOST[ADDR]:PORT: ").
    {DeferReason::kConnectionRefused, "", "connection refused"},
    {DeferReason::kConnectionTimedOut, "", "connection timed out"},
    // DNS: "Host or domain name not found. Name service error for name=...".
    {DeferReason::kHostNotFound, "", "host or domain name not found"},
    {DeferReason::kHostNotFound, "", "name service error"},
    {DeferReason::kHostNotFound, "", "host not found"},
    // Native (getaddrinfo) lookups, smtp_dns_support_level = disabled:
    // "unable to look up host H: Temporary failure in name resolution" or
    // "...: Name or service not known".
    {DeferReason::kHostNotFound, "", "unable to look up host"},
    {DeferReason::kHostNotFound, "", "name or service not known"},
    {DeferReason::kNoRoute, "", "no route to host"},
    {DeferReason::kNoRoute, "", "network is unreachable"},
    // Greylisting by status code: 4.2.0, or 4.7.1 with policy wording.
    {DeferReason::kGreylisted, "4.2.0", ""},
    {DeferReason::kGreylisted, "4.7.1", "try again later"},
    {DeferReason::kGreylisted, "4.7.1", "try later"},
    {DeferReason::kGreylisted, "4.7.1", "please retry"},
    {DeferReason::kGreylisted, "4.7.1", "temporarily"},
    {DeferReason::kGreylisted, "4.7.1", "policy"},
    // Any other 4xx reply from the remote server.
    {DeferReason::kRejected4xx, "", " said: 4"},
    {DeferReason::kRejected4xx, "", "refused to talk to me: 4"},
};

constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

constexpr bool PatternsAreLowerCase() {
  for (const Rule& r : kRules) {
    for (char c : r.text) {
      if (IsUpper(c)) return false;
    }
  }
  return true;
}
static_assert(PatternsAreLowerCase(),
              "kRules texts are matched against the lower-cased reason");

// Reason texts are one line of a remote reply or an errno text; longer ones
// (rare) go to the heap.
constexpr size_t kStackText = 512;

// The reason text in ASCII lower case, in `buf` when it fits, else in
// `*heap`.
std::string_view LowerCase(std::string_view text, char (&buf)[kStackText],
                           std::string* heap) {
  char* out = buf;
  if (text.size() > kStackText) {
    heap->resize(text.size());
    out = heap->data();
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    out[i] = IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {out, text.size()};
}

// " 4.2.0 " or " 4.2.0" at the end, in the reply text.
bool TextHasStatus(std::string_view text, std::string_view status) {
  size_t from = 0;
  while (from < text.size()) {
    size_t at = text.find(status, from);
    if (at == std::string_view::npos) return false;
    bool left = at > 0 && text[at - 1] == ' ';
    size_t end = at + status.size();
    bool right = end == text.size() || text[end] == ' ';
    if (left && right) return true;
    from = at + 1;
  }
  return false;
}

// `lower` is the lower-cased reason text. string_view::find looks for the
// pattern's first character with memchr, then compares the rest.
bool Matches(const Rule& r, std::string_view status, std::string_view lower) {
  if (!r.status.empty() && status != r.status &&
      !TextHasStatus(lower, r.status)) {
    return false;
  }
  return r.text.empty() || lower.find(r.text) != std::string_view::npos;
}

}  // namespace

DeferReason ClassifyDeferReason(std::string_view dsn_status,
                                std::string_view reason_text) {
  char buf[kStackText];
  std::string heap;
  const std::string_view lower = LowerCase(reason_text, buf, &heap);
  for (const Rule& r : kRules) {
    if (Matches(r, dsn_status, lower)) return r.reason;
  }
  return DeferReason::kOther;
}

const char* DeferReasonName(DeferReason reason) {
  switch (reason) {
    case DeferReason::kConnectionRefused:
      return "connection_refused";
    case DeferReason::kConnectionTimedOut:
      return "connection_timed_out";
    case DeferReason::kHostNotFound:
      return "host_not_found";
    case DeferReason::kNoRoute:
      return "no_route";
    case DeferReason::kGreylisted:
      return "greylisted";
    case DeferReason::kTlsFailure:
      return "tls_failure";
    case DeferReason::kMailboxFull:
      return "mailbox_full";
    case DeferReason::kRejected4xx:
      return "rejected_4xx";
    case DeferReason::kOther:
      return "other";
  }
  return "other";
}

}  // namespace mailflow
