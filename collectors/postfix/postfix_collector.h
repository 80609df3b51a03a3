// The `postfix` collector: Postfix's configuration and master process.
#pragma once

#include "collectors/registry.h"

namespace mailflow {

/// Registers "postfix" (enabled by default).
void RegisterPostfixCollector(CollectorRegistry* registry);

}  // namespace mailflow
