#include "collectors/common/destination_domains.h"

namespace mailflow {

void DestinationDomains::Publish(
    std::vector<std::pair<std::string, uint64_t>> domains, double now) {
  if (domains.size() > kMaxDomains) domains.resize(kMaxDomains);
  std::lock_guard<std::mutex> lock(mu_);
  domains_ = std::move(domains);
  published_at_ = now;
}

std::vector<std::string> DestinationDomains::Top(size_t n) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (size_t i = 0; i < domains_.size() && out.size() < n; ++i) {
    out.push_back(domains_[i].first);
  }
  return out;
}

double DestinationDomains::published_at() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_at_;
}

}  // namespace mailflow
