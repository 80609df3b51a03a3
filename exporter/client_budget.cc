#include "exporter/client_budget.h"

#include <algorithm>
#include <thread>

namespace mailflow {

using Clock = Deadline::Clock;

void ClientBudget::SetOptions(Options options) {
  std::lock_guard<std::mutex> lock(mu_);
  options_ = options;
}

void ClientBudget::Refill(Bucket* b, Clock::time_point now) const {
  const double dt = std::chrono::duration<double>(now - b->updated).count();
  if (dt > 0) {
    b->balance =
        std::min(options_.burst_seconds, b->balance + dt * options_.cpu_share);
    b->updated = now;
  }
}

ClientBudget::Bucket* ClientBudget::Find(const std::string& client,
                                         Clock::time_point now) {
  auto it = buckets_.find(client);
  if (it != buckets_.end()) {
    Refill(&it->second, now);
    return &it->second;
  }
  if (buckets_.size() >= options_.max_clients) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      Refill(&it->second, now);
      if (it->second.balance >= options_.burst_seconds) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
    if (buckets_.size() >= options_.max_clients) {
      buckets_.erase(buckets_.begin());
    }
  }
  Bucket& b = buckets_[client];
  b.balance = options_.burst_seconds;
  b.updated = now;
  return &b;
}

bool ClientBudget::Admit(const std::string& client, Deadline deadline,
                         std::chrono::milliseconds* retry_after) {
  Clock::duration wait;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (options_.cpu_share <= 0) return true;
    const auto now = Clock::now();
    const Bucket* b = Find(client, now);
    if (b->balance >= 0) return true;
    wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(-b->balance / options_.cpu_share));
    if (wait > deadline.Remaining() / 2) {
      ++counts_.refused;
      *retry_after = std::chrono::ceil<std::chrono::milliseconds>(wait);
      return false;
    }
    ++counts_.delayed;
  }
  std::this_thread::sleep_for(wait);
  return true;
}

void ClientBudget::Charge(const std::string& client, uint64_t flight,
                          double cpu_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.cpu_share <= 0) return;
  Bucket* b = Find(client, Clock::now());
  if (flight <= b->last_flight) return;  // charged already
  b->last_flight = flight;
  b->balance -= cpu_seconds;
}

ClientBudget::Counts ClientBudget::counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

double ClientBudget::Balance(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  return Find(client, Clock::now())->balance;
}

}  // namespace mailflow
