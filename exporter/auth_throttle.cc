#include "exporter/auth_throttle.h"

#include <cmath>

namespace mailflow {

namespace {
constexpr char kOverflowSource[] = "other";
}  // namespace

std::string AuthThrottle::Key(std::string_view source, Clock::time_point now) {
  std::string key(source);
  if (sources_.count(key)) return key;
  if (sources_.size() >= options_.max_sources) Prune(now);
  if (sources_.size() >= options_.max_sources) key = kOverflowSource;
  sources_[key];
  return key;
}

void AuthThrottle::Prune(Clock::time_point now) {
  std::erase_if(sources_, [&](const auto& entry) {
    const Source& s = entry.second;
    return !s.in_flight &&
           (s.failures == 0 || now - s.last_failure >= options_.window);
  });
}

bool AuthThrottle::Blocked(const Source& s, Clock::time_point now,
                           int* retry_after) const {
  if (s.failures < options_.max_failures) return false;
  const auto left = s.last_failure + options_.window - now;
  if (left <= Clock::duration::zero()) return false;
  *retry_after =
      static_cast<int>(std::ceil(std::chrono::duration<double>(left).count()));
  return true;
}

bool AuthThrottle::Throttled(std::string_view source, int* retry_after) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  return Blocked(sources_[Key(source, now)], now, retry_after);
}

AuthThrottle::Admission AuthThrottle::Admit(std::string_view source,
                                            int* retry_after,
                                            std::string* ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  const std::string key = Key(source, Clock::now());
  if (Blocked(sources_[key], Clock::now(), retry_after)) {
    return Admission::kThrottled;
  }
  // sources_[key], not a reference kept across the wait: Prune() may erase
  // an idle entry meanwhile (operator[] makes it again).
  const bool free = freed_.wait_for(lock, options_.max_wait, [&] {
    return running_ < options_.max_concurrent && !sources_[key].in_flight;
  });
  if (!free) {
    *retry_after = 1;
    return Admission::kBusy;
  }
  // The verification this one waited for may have been the last failure
  // allowed.
  if (Blocked(sources_[key], Clock::now(), retry_after)) {
    return Admission::kThrottled;
  }
  sources_[key].in_flight = true;  // in-flight entries are never pruned
  ++running_;
  *ticket = key;
  return Admission::kAdmitted;
}

void AuthThrottle::Done(const std::string& ticket, bool ok) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    Source& s = sources_[ticket];
    s.in_flight = false;
    --running_;
    if (ok) {
      s.failures = 0;
    } else {
      if (now - s.last_failure >= options_.window) s.failures = 0;
      ++s.failures;
      s.last_failure = now;
    }
  }
  freed_.notify_all();
}

}  // namespace mailflow
