// The collectors built into this binary, in the order they are run and shown.
#include "collectors/registry.h"

namespace mailflow {

void RegisterBuiltinCollectors(CollectorRegistry* registry) {
  (void)registry;
}

}  // namespace mailflow
