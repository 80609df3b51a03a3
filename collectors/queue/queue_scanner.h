// QueueScanner: reads Postfix's queue directory directly (no showq), with an
// incremental per-message cache so a steady-state scrape costs a readdir and
// a stat per file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/deadline.h"
#include "lib/base/histogram.h"
#include "lib/base/status.h"
#include "lib/postfix/defer_reason.h"
#include "lib/postfix/queue_file.h"

namespace mailflow {

/// The queues scanned, in scan order (showq's order plus corrupt).
enum class QueueName : uint8_t {
  kMaildrop = 0,
  kIncoming,
  kActive,
  kDeferred,
  kHold,
  kCorrupt,
};
inline constexpr int kQueueCount = 6;
const char* QueueNameString(QueueName q);

/// qshape-like upper bounds of the age distribution, in seconds: 5m, 10m,
/// 20m, 40m, 80m, 160m, 320m, 640m, 1280m, 2560m, 5d (+Inf implied).
const std::vector<double>& QueueAgeBuckets();

struct QueueScanOptions {
  std::string queue_directory = "/var/spool/postfix";
  /// Destination domains reported by name; the rest are summed as "other".
  size_t top_domains = 10;
  /// Messages whose parsed envelope is cached. Beyond it, messages are
  /// parsed on every scrape (correct but slower); memory stays bounded.
  size_t max_tracked_messages = 1000000;
  /// Distinct recipient domains remembered across cached messages; beyond
  /// it new domains count as "other".
  size_t max_domains = 20000;
  /// Postfix's maximal_queue_lifetime, seconds (default 5d).
  int64_t maximal_queue_lifetime = 5 * 86400;
  /// Bytes read from one defer log at most.
  size_t max_defer_log_bytes = 256 * 1024;
  /// Entries read from one defer log at most.
  size_t max_defer_log_entries = 10000;
  QueueFileLimits file_limits;
};

struct QueueStats {
  bool readable = false;  // the queue directory could be listed
  uint64_t messages = 0;
  uint64_t bytes = 0;
  double oldest_age = 0;  // seconds, from the 'T' record; 0 when empty
  uint64_t corrupt_files = 0;
  uint64_t unreadable_files = 0;
  CumulativeHistogram ages{QueueAgeBuckets()};
};

/// One deferred recipient's defer-log entry, quoted as the evidence of its
/// reason class.
struct DeferSample {
  std::string queue_id;  // "" when there is none
  std::string recipient;
  std::string status;  // "4.4.1"
  std::string text;    // at most kMaxSampleText bytes
  static constexpr size_t kMaxSampleText = 300;
};

struct QueueScanResult {
  std::array<QueueStats, kQueueCount> queues;
  std::array<uint64_t, kDeferReasonCount> deferred_reasons{};
  /// Per reason class with recipients: the defer-log entry of one of them
  /// (kept while its message stays deferred).
  std::array<DeferSample, kDeferReasonCount> samples;
  /// Top destination domains of pending recipients of deferred messages,
  /// by recipient count (descending), then "other" last if non-zero.
  std::vector<std::pair<std::string, uint64_t>> domains;
  uint64_t near_expiry = 0;
  uint64_t tracked_messages = 0;
  uint64_t untracked_messages = 0;
  uint64_t parsed_files = 0;     // queue files read in this scan
  uint64_t defer_logs_read = 0;  // defer logs read in this scan
  uint64_t dirs_skipped = 0;     // unchanged directories not listed
  bool complete = true;          // false: deadline hit, partial result
  bool permission_denied = false;
};

/// Not thread-safe by itself; QueueScanner::Scan serializes callers.
class QueueScanner {
 public:
  explicit QueueScanner(QueueScanOptions options);
  ~QueueScanner();

  /// Scans the queue directory. `now` is the wall-clock time in seconds used
  /// for ages. On error (permission denied, missing directory, deadline)
  /// `*out` still holds what was found and the Status says what failed.
  Status Scan(Deadline deadline, int64_t now, QueueScanResult* out);

  /// Approximate heap bytes per tracked message (for docs and tests).
  static size_t BytesPerTrackedMessage();

  const QueueScanOptions& options() const { return options_; }

 private:
  struct Impl;
  QueueScanOptions options_;
  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailflow
