// CarryOver and RoundClock: what background probers keep across reloads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>

namespace mailflow {

/// State a collector keeps across configuration reloads: probe results,
/// counters and the probe schedule. A collector asks for its state by a key
/// naming the collector and what it was built from (its options section,
/// see ConfigMap::Fingerprint); the collector built by a reload with the
/// same options gets the same object back, one with other options a new
/// one. An entry lives while a collector holds it (the old and the new set
/// overlap during a reload). Thread-safe; the objects guard themselves.
class CarryOver {
 public:
  /// The T stored under `key`, created (default-constructed) if none is
  /// held any more. The type is part of the key.
  template <typename T>
  std::shared_ptr<T> Get(const std::string& key) {
    const std::string full = std::string(typeid(T).name()) + "\n" + key;
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(entries_, [](const auto& e) { return e.second.expired(); });
    std::weak_ptr<void>& slot = entries_[full];
    if (auto held = slot.lock()) return std::static_pointer_cast<T>(held);
    auto made = std::make_shared<T>();
    slot = made;
    return made;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<void>> entries_;
};

/// When a background prober's next round is due. Kept in the CarryOver
/// state of its collector, so that a reload neither starts an extra round
/// (POST /-/reload in a loop would otherwise make this host connect to
/// every target once per reload) nor delays the next one. Thread-safe:
/// the prober loops of the old and the new collector may both wait on it;
/// Claim() gives each round to one of them.
class RoundClock {
 public:
  using Clock = std::chrono::steady_clock;

  /// When the next round is due (the distant past before the first one).
  Clock::time_point due() const {
    std::lock_guard<std::mutex> lock(mu_);
    return due_;
  }

  /// True for exactly one caller once the round due at or before `now`
  /// begins; the next is then due `interval` after this one was due (at
  /// `now` if that is already past: a slow round causes no burst).
  bool Claim(Clock::time_point now, Clock::duration interval) {
    std::lock_guard<std::mutex> lock(mu_);
    if (now < due_) return false;
    const Clock::time_point next = started_ ? due_ + interval : now + interval;
    due_ = next < now ? now : next;
    started_ = true;
    return true;
  }

 private:
  mutable std::mutex mu_;
  Clock::time_point due_{};
  bool started_ = false;
};

}  // namespace mailflow
