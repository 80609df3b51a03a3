// ReloadGate: how often POST /-/reload may run.
#pragma once

#include <chrono>
#include <mutex>

namespace mailflow {

/// Admits one reload at a time, and none within `min_interval` of the
/// previous one's start: a client looping on POST /-/reload costs a
/// refusal, not a configuration parse and a new collector set each time.
/// Thread-safe.
class ReloadGate {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ReloadGate(std::chrono::milliseconds min_interval)
      : min_interval_(min_interval) {}

  /// True when a reload may start now (then call Done() after it); false
  /// with `*retry_after` (seconds, at least 1) otherwise.
  bool TryStart(int* retry_after) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    const auto next = last_start_ + min_interval_;
    if (running_ || (started_ && now < next)) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(
          running_ ? min_interval_ : next - now);
      *retry_after = std::max<int>(1, static_cast<int>(left.count()));
      return false;
    }
    running_ = started_ = true;
    last_start_ = now;
    return true;
  }

  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }

 private:
  const std::chrono::milliseconds min_interval_;
  std::mutex mu_;
  bool running_ = false;
  bool started_ = false;
  Clock::time_point last_start_{};
};

}  // namespace mailflow
