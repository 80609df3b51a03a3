// What the log collector has read, and the findings of step "greylisting"
// (how long receivers' greylisting delayed this server's mail). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collectors/finding.h"

namespace mailflow {

/// Kept by Collect(), read by Diagnose(). Value type.
struct LogFacts {
  std::string source;  // file, journal, stdin
  std::string path;    // the file, or the journal directory
  bool up = false;
  std::string error;  // why the source is not readable
  bool start_at_end = true;
  uint64_t lines = 0;
  uint64_t greylist_deferrals = 0;
  uint64_t greylisted_delivered = 0;
  uint64_t greylisted_waiting = 0;
  /// Upper bound of the histogram bucket holding the 90th percentile of
  /// the greylisting delays (seconds); -1 without deliveries.
  double greylist_p90_seconds = -1;
  std::string greylist_example;  // the last greylisting line
};

/// GreylistingDelaysHigh's threshold, seconds.
inline constexpr double kGreylistDelayWarnSeconds = 30 * 60;

/// Step kGreylisting, from the log: WARN when 90% of greylisted deliveries
/// took longer than kGreylistDelayWarnSeconds (GreylistingDelaysHigh).
void LogFindings(const LogFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
