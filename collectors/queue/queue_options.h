// `collectors: queue:` options: QueueCollectorOptions and its parser.
#pragma once

#include <cstdint>
#include <string>

#include "collectors/queue/queue_scanner.h"
#include "config/config.h"

namespace mailflow {

/// What the queue collector scans. Plain value; copy freely.
struct QueueCollectorOptions {
  /// The default instance's config directory (paths.postfix_config_directory).
  std::string config_directory;
  /// The default instance's queue directory; "" -> queue_directory of main.cf.
  std::string queue_directory;
  /// Seconds; -1 -> maximal_queue_lifetime of main.cf.
  int64_t maximal_queue_lifetime = -1;
  /// top_domains, max_tracked_messages, max_domains; the rest is resolved
  /// per instance.
  QueueScanOptions scan;
};

/// Reads `collectors: queue:` (`m`) and the paths it needs from `config`
/// into `*out` (which starts at the defaults). Every key is read and unknown
/// keys are errors. False with `*err` = "FILE:LINE:COL: ..." on bad input.
/// Pure: touches no file.
bool ParseQueueOptions(const Config& config, ConfigMap m,
                       QueueCollectorOptions* out, std::string* err);

}  // namespace mailflow
