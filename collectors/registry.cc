#include "collectors/registry.h"

namespace mailflow {

void CollectorRegistry::Add(CollectorInfo info) {
  infos_.push_back(std::move(info));
}

const CollectorInfo* CollectorRegistry::Find(const std::string& name) const {
  for (const auto& info : infos_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const CollectorRegistry& BuiltinRegistry() {
  static const CollectorRegistry* registry = [] {
    auto* r = new CollectorRegistry();
    RegisterBuiltinCollectors(r);
    return r;
  }();
  return *registry;
}

}  // namespace mailflow
