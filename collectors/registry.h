// CollectorRegistry: collector name -> factory, with default on/off.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/collector_context.h"
#include "config/config.h"

namespace mailflow {

/// Builds a collector from the whole config and its own `collectors.NAME`
/// options. Must read every option it knows and call options.Finish(err), so
/// unknown keys are errors. Returns nullptr with `*err` set on bad options.
/// `context` outlives the collector; keep copies of the shared_ptrs needed.
using CollectorFactory = std::function<std::unique_ptr<Collector>(
    const Config& config, ConfigMap options, const CollectorContext& context,
    std::string* err)>;

struct CollectorInfo {
  std::string name;
  bool enabled_by_default = true;
  std::string description;
  CollectorFactory create;
};

/// Not thread-safe while being filled; read-only afterwards.
class CollectorRegistry {
 public:
  void Add(CollectorInfo info);
  /// nullptr when unknown.
  const CollectorInfo* Find(const std::string& name) const;
  const std::vector<CollectorInfo>& all() const { return infos_; }

 private:
  std::vector<CollectorInfo> infos_;
};

/// Registers every collector built into this binary (collectors/builtin.cc).
void RegisterBuiltinCollectors(CollectorRegistry* registry);

/// The registry of built-in collectors, filled on first use. Thread-safe.
const CollectorRegistry& BuiltinRegistry();

}  // namespace mailflow
