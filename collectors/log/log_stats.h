// LogStats: the log collector's counters and histograms, fed one parsed line
// at a time. No Prometheus types; the collector turns a LogStats into families.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/base/histogram.h"
#include "lib/postfix/defer_reason.h"
#include "lib/postfix/log_line.h"

namespace mailflow::log_collector {

/// Label caps (overflow folded into "other").
inline constexpr size_t kMaxUnparsedPrograms = 32;
inline constexpr size_t kMaxSyslogNames = 16;
inline constexpr size_t kMaxRejectSeries = 64;

/// Transport label values (the delivery agent's program); others -> "other".
inline constexpr std::string_view kTransports[] = {
    "smtp",  "lmtp",  "local",   "virtual", "pipe",
    "error", "retry", "discard", "qmgr",    "other"};
inline constexpr int kTransportCount = 10;
inline constexpr int kStatusCount = 7;  // postfix::DeliveryStatus values
/// smtpd "lost connection after STAGE" label values; others -> "other".
inline constexpr std::string_view kStages[] = {
    "CONNECT", "EHLO", "HELO",    "STARTTLS", "AUTH",
    "MAIL",    "RCPT", "DATA",    "BDAT",     "END-OF-MESSAGE",
    "RSET",    "QUIT", "UNKNOWN", "other"};
inline constexpr int kStageCount = 14;
inline constexpr std::string_view kPhases[] = {
    "before_qmgr", "in_qmgr", "connection_setup", "transmission"};
inline constexpr std::string_view kTlsPrograms[] = {"smtp", "lmtp", "smtpd",
                                                    "tlsproxy", "other"};
inline constexpr int kTlsProgramCount = 5;
inline constexpr int kPostscreenEventCount = 12;

/// Bucket bounds (seconds).
std::vector<double> DeliveryDelayBuckets();
std::vector<double> GreylistDelayBuckets();

/// Not thread-safe: the collector holds its lock around Add() and reads.
class LogStats {
 public:
  explicit LogStats(size_t greylist_tracking_max);

  /// Parses nothing itself: takes the parser's output for one line.
  void Add(const postfix::LogLine& line);
  /// Convenience for tests and the file source: parse + Add.
  void AddLine(std::string_view line);

  uint64_t lines = 0;
  uint64_t foreign = 0;
  /// program -> count; "unknown" = header not understood.
  std::map<std::string, uint64_t, std::less<>> unparsed;
  uint64_t deliveries[kStatusCount][kTransportCount] = {};
  /// Per phase a/b/c/d, observed for final statuses (sent, bounced, expired).
  std::vector<CumulativeHistogram> phase_delay;
  /// delay= per final status: index by DeliveryStatus (only
  /// sent/bounced/expired used).
  std::vector<CumulativeHistogram> message_delay;
  /// Failed attempts by status, transport (kTransports index) and reason.
  uint64_t errors[kStatusCount][kTransportCount][kDeferReasonCount] = {};
  uint64_t connect_failures[kDeferReasonCount] = {};
  uint64_t tls_failures[kTlsProgramCount] = {};
  std::map<std::string, uint64_t, std::less<>>
      smtpd_connections;  // syslog_name
  uint64_t smtpd_lost[kStageCount] = {};
  /// Rejects as labelled series: (program, code, reason) -> count.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t>
  RejectSeries() const;
  uint64_t postscreen[kPostscreenEventCount] = {};
  uint64_t messages_queued = 0, messages_removed = 0, messages_expired = 0;
  uint64_t severity[5] = {};  // postfix::Severity
  uint64_t greylist_deferrals = 0;
  /// The last greylisting deferral, "QID: to=<...>, ... status=deferred
  /// (...)" (at most 300 bytes): the evidence of the diagnosis.
  std::string last_greylist;
  uint64_t greylist_evictions = 0;
  CumulativeHistogram greylist_delay;

  size_t greylist_tracked() const { return greylist_.size(); }

 private:
  void AddDelivery(const postfix::LogLine& line);
  void GreylistDeferred(std::string_view qid, double delay);
  void GreylistDone(std::string_view qid, double delay, bool delivered);

  // Compact reject key (no allocation per reject line); labels are made at
  // scrape time. program: 0 smtpd, 1 postscreen, 2 cleanup, 3 other,
  // 255 overflow. code: the reply code, or 4/5 (DSN class only), or 0.
  struct RejectKey {
    uint8_t program;
    uint8_t reason;
    uint16_t code;
    auto operator<=>(const RejectKey&) const = default;
  };
  std::map<RejectKey, uint64_t> rejects_;

  struct GreylistEntry {
    double first_delay;
    uint64_t seq;
  };
  size_t greylist_max_;
  uint64_t greylist_seq_ = 0;
  std::unordered_map<std::string, GreylistEntry> greylist_;
  std::deque<std::pair<std::string, uint64_t>>
      greylist_order_;  // FIFO for eviction
};

}  // namespace mailflow::log_collector
