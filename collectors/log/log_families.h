// Turns LogStats and the source's state into metric families.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "collectors/log/file_follower.h"
#include "collectors/log/log_stats.h"

namespace mailflow::log {

struct SourceState {
  std::string source;          // file | journal | stdin
  bool up = false;             // file open / journal open / stdin not at EOF
  bool is_file = false;
  FollowerState file;          // when is_file
  uint64_t read_errors = 0;    // all sources
  double last_line_time = 0;   // unix seconds when the last line was read; 0 never
  bool is_journal = false;
  uint64_t untrusted = 0;  // journal: Postfix-tagged entries from others
};

void AppendLogFamilies(const LogStats& stats, const SourceState& source,
                       std::vector<prometheus::MetricFamily>* out);

}  // namespace mailflow::log
