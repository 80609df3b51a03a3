// What the queue collector saw in one scan and the findings of steps
// "queue" and "greylisting" (mail a receiver greylisted, waiting for
// Postfix's next retry). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/finding.h"
#include "collectors/queue/queue_scanner.h"
#include "lib/postfix/main_cf.h"

namespace mailflow {

/// Kept by Collect(), read by Diagnose(). Value type.
struct QueueFacts {
  std::string config_directory;
  std::string queue_directory;
  /// The scan's or the configuration's error; "" when all was read.
  std::string error;
  QueueScanResult scan;
  int64_t maximal_queue_lifetime = 0;  // seconds
  /// From main.cf: when Postfix retries deferred mail at the earliest.
  postfix::MainCfParam minimal_backoff_time;
  int64_t minimal_backoff_seconds = 300;
  std::string config_file;  // main.cf, for the parameter's evidence
};

/// Deferred recipients from which the queue is reported as not flowing
/// (the floor of the DeferredMostly* alerts).
inline constexpr uint64_t kDeferredWarnRecipients = 10;
/// The oldest deferred message's age that is reported (MailQueueStuck).
inline constexpr double kStuckSeconds = 6 * 3600;
/// A greylisting delay that is too long (GreylistingDelaysHigh).
inline constexpr int64_t kGreylistTooLongSeconds = 30 * 60;

/// Step kQueue: sizes, the dominant defer reason with the defer-log text
/// and the top destinations; WARN from kDeferredWarnRecipients deferred
/// recipients, for a message older than kStuckSeconds, or for messages near
/// expiry. Step kGreylisting: greylisted recipients waiting, WARN when
/// Postfix's minimal_backoff_time exceeds kGreylistTooLongSeconds.
void QueueFindings(const QueueFacts& facts, std::vector<Finding>* out);

/// "3d 4h", "17m", "45s".
std::string HumanDuration(double seconds);

}  // namespace mailflow
