// The smtp collector: can this host deliver out on port 25, can the world
// reach its SMTP services, and if not, why (refused, silent drop, no route,
// no greeting, rejected greeting, TLS). Probes run in a background thread;
// a scrape reads the last results. Also serves /probe modules.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/registry.h"
#include "collectors/smtp/smtp_options.h"
#include "collectors/smtp/smtp_probe_handler.h"

namespace mailflow {

/// Creates the collector (no threads, no traffic until Start()).
/// Keeps the context's /probe registry (modules registered in Start()) and
/// Postfix snapshot cache (for `relayhost: auto`). With `carry_key`, the
/// results, counters and probe schedule are the context's CarryOver entry
/// of that key (shared with the collector of the previous configuration if
/// it had the same key); without, they start empty.
std::unique_ptr<Collector> NewSmtpCollector(SmtpOptions options,
                                            const CollectorContext& context,
                                            const std::string& carry_key = "");

void RegisterSmtpCollector(CollectorRegistry* registry);

}  // namespace mailflow
