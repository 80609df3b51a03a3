#include "collectors/queue/domain_table.h"

#include <algorithm>

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

std::vector<std::pair<std::string, uint64_t>> RankDomains(
    std::unordered_map<std::string, uint64_t> by_name, const DomainTable& table,
    const std::vector<uint64_t>& by_id, size_t top_n) {
  uint64_t other = 0;
  for (const char* name : {"other", ""}) {
    if (auto o = by_name.find(name); o != by_name.end()) {
      other += o->second;
      by_name.erase(o);
    }
  }
  if (!by_id.empty()) other += by_id[DomainTable::kOther];
  for (size_t id = 1; id < by_id.size(); ++id) {
    if (by_id[id]) by_name[table.name(static_cast<uint32_t>(id))] += by_id[id];
  }
  std::vector<std::pair<std::string, uint64_t>> all(by_name.begin(),
                                                    by_name.end());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::pair<std::string, uint64_t>> top;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < top_n) {
      top.push_back(std::move(all[i]));
    } else {
      other += all[i].second;
    }
  }
  if (other > 0) top.emplace_back("other", other);
  return top;
}

}  // namespace mailflow::queue_collector
