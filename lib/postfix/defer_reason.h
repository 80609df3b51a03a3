// DeferReason: why Postfix deferred a recipient, in a small bounded set.
// Pure; shared by the queue collector (defer logs) and the log collector
// (status=deferred lines). The patterns live in one table in
// defer_reason.cc and are documented in docs/metrics.md.
#pragma once

#include <string_view>

namespace mailflow {

enum class DeferReason {
  kConnectionRefused = 0,
  kConnectionTimedOut,
  kHostNotFound,
  kNoRoute,
  kGreylisted,
  kTlsFailure,
  kMailboxFull,
  kRejected4xx,
  kOther,
};

inline constexpr int kDeferReasonCount = 9;

/// Classifies one deferral. `dsn_status` is the enhanced status code
/// ("4.4.1"; may be empty), `reason_text` the text Postfix logs / mailq shows
/// ("connect to mx.example.com[192.0.2.1]:25: Connection refused").
/// First matching rule wins; no match is kOther. Thread-safe.
DeferReason ClassifyDeferReason(std::string_view dsn_status,
                                std::string_view reason_text);

/// Label value: "connection_refused", "connection_timed_out",
/// "host_not_found", "no_route", "greylisted", "tls_failure",
/// "mailbox_full", "rejected_4xx", "other".
const char* DeferReasonName(DeferReason reason);

}  // namespace mailflow
