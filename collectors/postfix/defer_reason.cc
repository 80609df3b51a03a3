#include "collectors/postfix/defer_reason.h"

#include <cstddef>

namespace mailflow {
namespace {

// One classification rule. A rule matches when every condition it sets
// holds: `status` equals the DSN status or appears as " STATUS " in the
// text (a remote reply "said: 450 4.2.0 ..."); `text` and `text2` occur in
// the reason text, compared without regard to ASCII case.
struct Rule {
  DeferReason reason;
  const char* status;  // nullptr: any
  const char* text;    // nullptr: any
  const char* text2;   // nullptr: any
};

// THE pattern table (documented in docs/metrics.md). Order matters: the
// first matching rule wins, so explicit wording beats generic status codes.
constexpr Rule kRules[] = {
    // Greylisting says so in most implementations (postgrey, policyd-weight,
    // rspamd, Exchange "Greylisted, please try again").
    {DeferReason::kGreylisted, nullptr, "greylist", nullptr},
    {DeferReason::kGreylisted, nullptr, "graylist", nullptr},
    {DeferReason::kGreylisted, nullptr, "grey-list", nullptr},
    // TLS: Postfix smtp(8) wording for policy and handshake failures.
    {DeferReason::kTlsFailure, nullptr, "TLS is required, but", nullptr},
    {DeferReason::kTlsFailure, nullptr, "Cannot start TLS", nullptr},
    {DeferReason::kTlsFailure, nullptr, "TLS handshake", nullptr},
    {DeferReason::kTlsFailure, nullptr, "SSL_connect error", nullptr},
    {DeferReason::kTlsFailure, nullptr, "certificate verification failed",
     nullptr},
    {DeferReason::kTlsFailure, nullptr, "Server certificate not", nullptr},
    {DeferReason::kTlsFailure, nullptr, "TLS Library problem", nullptr},
    // Mailbox full / over quota (RFC 3463 4.2.2).
    {DeferReason::kMailboxFull, "4.2.2", nullptr, nullptr},
    {DeferReason::kMailboxFull, nullptr, "mailbox full", nullptr},
    {DeferReason::kMailboxFull, nullptr, "mailbox is full", nullptr},
    {DeferReason::kMailboxFull, nullptr, "over quota", nullptr},
    {DeferReason::kMailboxFull, nullptr, "quota exceeded", nullptr},
    {DeferReason::kMailboxFull, nullptr, "exceeded storage allocation",
     nullptr},
    // Connection setup (errno text after "connect to HOST[ADDR]:PORT: ").
    {DeferReason::kConnectionRefused, nullptr, "Connection refused", nullptr},
    {DeferReason::kConnectionTimedOut, nullptr, "Connection timed out",
     nullptr},
    // DNS: "Host or domain name not found. Name service error for name=...".
    {DeferReason::kHostNotFound, nullptr, "Host or domain name not found",
     nullptr},
    {DeferReason::kHostNotFound, nullptr, "Name service error", nullptr},
    {DeferReason::kHostNotFound, nullptr, "Host not found", nullptr},
    // Native (getaddrinfo) lookups, smtp_dns_support_level = disabled:
    // "unable to look up host H: Temporary failure in name resolution" or
    // "...: Name or service not known".
    {DeferReason::kHostNotFound, nullptr, "unable to look up host", nullptr},
    {DeferReason::kHostNotFound, nullptr, "Name or service not known",
     nullptr},
    {DeferReason::kNoRoute, nullptr, "No route to host", nullptr},
    {DeferReason::kNoRoute, nullptr, "Network is unreachable", nullptr},
    // Greylisting by status code: 4.2.0, or 4.7.1 with policy wording.
    {DeferReason::kGreylisted, "4.2.0", nullptr, nullptr},
    {DeferReason::kGreylisted, "4.7.1", "try again later", nullptr},
    {DeferReason::kGreylisted, "4.7.1", "try later", nullptr},
    {DeferReason::kGreylisted, "4.7.1", "please retry", nullptr},
    {DeferReason::kGreylisted, "4.7.1", "temporarily", nullptr},
    {DeferReason::kGreylisted, "4.7.1", "policy", nullptr},
    // Any other 4xx reply from the remote server.
    {DeferReason::kRejected4xx, nullptr, " said: 4", nullptr},
    {DeferReason::kRejected4xx, nullptr, "refused to talk to me: 4", nullptr},
};

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && Lower(hay[i + j]) == Lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
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

bool Matches(const Rule& r, std::string_view status, std::string_view text) {
  if (r.status != nullptr && status != r.status &&
      !TextHasStatus(text, r.status)) {
    return false;
  }
  if (r.text != nullptr && !ContainsNoCase(text, r.text)) return false;
  if (r.text2 != nullptr && !ContainsNoCase(text, r.text2)) return false;
  return true;
}

}  // namespace

DeferReason ClassifyDeferReason(std::string_view dsn_status,
                                std::string_view reason_text) {
  for (const Rule& r : kRules) {
    if (Matches(r, dsn_status, reason_text)) return r.reason;
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
