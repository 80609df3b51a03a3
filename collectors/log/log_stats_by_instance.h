// LogStatsByInstance: the log collector's counts, one LogStats per Postfix
// instance, attributed by the syslog_name a line's tag carries.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "collectors/log/log_diagnosis.h"
#include "collectors/log/log_families.h"
#include "collectors/log/log_stats.h"
#include "lib/postfix/log_line.h"
#include "lib/postfix/postfix_instances.h"

namespace mailflow::log_collector {

/// Counts log lines per Postfix instance. A Postfix line goes to the
/// instance whose syslog_name its tag carries (the default instance when
/// none matches, "postfix" before any instance is known); other programs'
/// lines, foreign and garbage lines to an unclaimed LogStats, which only
/// the source-level families count. Not thread-safe: the log collector
/// calls it under its lock.
class LogStatsByInstance {
 public:
  static inline const std::string kDefaultInstance = "postfix";

  /// `greylist_tracking_max`: per LogStats (see LogStats).
  explicit LogStatsByInstance(size_t greylist_tracking_max)
      : greylist_tracking_max_(greylist_tracking_max),
        unclaimed_(greylist_tracking_max) {}

  /// The enabled instances from now on (the discovery's order: the default
  /// instance first). Each gets its stats at once, so that its series exist
  /// before its first line; instances gone keep theirs.
  void SetInstances(std::vector<PostfixInstance> instances);

  void Count(const postfix::LogLine& line);

  /// mailflow_log_* of the source (every line read), then per instance
  /// with the postfix_instance label.
  void AppendFamilies(const SourceState& state,
                      std::vector<prometheus::MetricFamily>* out) const;

  /// What diagnose shows: the source (`state`, `start_at_end`), every line
  /// read, and the default instance's greylisting.
  LogFacts Facts(const SourceState& state, bool start_at_end);

 private:
  // The stats of instance `name`, created on first use (names come from
  // the discovery: at most kMaxPostfixInstances at a time).
  LogStats& StatsFor(const std::string& name);

  const size_t greylist_tracking_max_;
  std::vector<PostfixInstance> instances_;
  std::map<std::string, LogStats> stats_;  // by postfix_instance
  LogStats unclaimed_;  // lines of no Postfix instance (foreign, garbage)
};

}  // namespace mailflow::log_collector
