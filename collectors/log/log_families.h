// Turns LogStats and the source's state into metric families.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "collectors/log/file_follower.h"
#include "collectors/log/log_stats.h"

namespace mailflow::log_collector {

struct SourceState {
  std::string source;  // file | journal | stdin | none (auto, undecided)
  std::string
      configured;    // the `source:` option: auto | file | journal | stdin
  std::string path;  // the file, or the journal directory ("" = system)
  bool up = false;   // file open / journal open / stdin not at EOF
  bool is_file = false;
  FollowerState file;        // when is_file
  uint64_t read_errors = 0;  // all sources
  double last_line_time =
      0;  // unix seconds when the last line was read; 0 never
  bool is_journal = false;
  uint64_t untrusted = 0;  // journal: Postfix-tagged entries from others
};

/// The source's families: lines read (summed over `all`: every instance's
/// stats and those of lines no instance claims), unparsed and foreign lines,
/// and the source's state (up, errors, file position, rotations).
void AppendLogSourceFamilies(const std::vector<const LogStats*>& all,
                             const SourceState& source,
                             std::vector<prometheus::MetricFamily>* out);

/// One Postfix instance's families (deliveries, delays, errors, rejects,
/// greylisting, ...), without the postfix_instance label.
void AppendLogInstanceFamilies(const LogStats& stats,
                               std::vector<prometheus::MetricFamily>* out);

}  // namespace mailflow::log_collector
