// The `queue` collector: how much mail waits in Postfix's queues, how long,
// and why (defer-log reason classes, top destination domains).
#pragma once

#include "collectors/registry.h"

namespace mailflow {

/// Registers "queue" (enabled by default). Options (collectors: queue: ...):
///   queue_directory: PATH        default: queue_directory from main.cf in
///                                paths.postfix_config_directory
///   maximal_queue_lifetime: DUR  default: from main.cf (Postfix default 5d)
///   top_domains: N               destination domains shown (default 10)
///   max_tracked_messages: N      messages cached (default 1000000)
///   max_domains: N               distinct domains remembered (default 20000)
void RegisterQueueCollector(CollectorRegistry* registry);

}  // namespace mailflow
