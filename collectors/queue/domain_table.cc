#include "collectors/queue/domain_table.h"

namespace mailflow::queue_collector {

DomainTable::DomainTable(size_t cap) : cap_(cap) {
  names_.push_back("other");
  refs_.push_back(0);
}

uint32_t DomainTable::Acquire(const std::string& name) {
  if (name.empty()) return kOther;
  auto it = ids_.find(name);
  if (it != ids_.end()) {
    ++refs_[it->second];
    return it->second;
  }
  if (ids_.size() >= cap_) return kOther;
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    names_[id] = name;
    refs_[id] = 1;
  } else {
    id = static_cast<uint32_t>(names_.size());
    names_.push_back(name);
    refs_.push_back(1);
  }
  ids_.emplace(name, id);
  return id;
}

void DomainTable::Release(uint32_t id) {
  if (id == kOther || id >= refs_.size() || refs_[id] == 0) return;
  if (--refs_[id] == 0) {
    ids_.erase(names_[id]);
    names_[id].clear();
    names_[id].shrink_to_fit();
    free_.push_back(id);
  }
}

}  // namespace mailflow::queue_collector
