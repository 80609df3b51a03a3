#include "exporter/client_limiter.h"

namespace mailflow {

void ClientLimiter::SetMax(int max_per_client) {
  std::lock_guard<std::mutex> lock(mu_);
  max_ = max_per_client;
}

bool ClientLimiter::Enter(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  int& n = in_progress_[client];
  if (max_ > 0 && n >= max_) {
    ++refused_;
    return false;
  }
  ++n;
  return true;
}

void ClientLimiter::Leave(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_progress_.find(client);
  if (it == in_progress_.end()) return;
  if (--it->second <= 0) in_progress_.erase(it);
}

uint64_t ClientLimiter::refused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

}  // namespace mailflow
