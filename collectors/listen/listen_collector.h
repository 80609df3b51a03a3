// The `listen` collector: what the kernel says is listening on SMTP ports.
#pragma once

#include "collectors/registry.h"

namespace mailflow {

/// Registers "listen" (enabled by default).
void RegisterListenCollector(CollectorRegistry* registry);

}  // namespace mailflow
