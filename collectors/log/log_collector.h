// The `log` collector: follows Postfix's log (a file like `tail -F`, the
// systemd journal, or stdin) into counters and histograms that say why mail
// was refused or slow.
#pragma once

#include "collectors/registry.h"

namespace mailflow {

/// Registers "log" (enabled by default; an absent file is followed when it
/// appears). Options (collectors: log: ...):
///   source: file|journal|stdin     default file
///   path: PATH                     default /var/log/mail.log (source file)
///   start_at: end|beginning        default end (beginning = backfill)
///   journal_directory: DIR         default: the system journal (source
///   journal) greylist_tracking_max: N       queue ids tracked for greylisting
///   delay
///                                  (default 10000, 0 disables; oldest evicted)
///   poll_interval: DURATION        file/journal poll period (default 250ms)
void RegisterLogCollector(CollectorRegistry* registry);

}  // namespace mailflow
