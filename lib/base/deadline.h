// Deadline: a point in monotonic time after which work must stop.
#pragma once

#include <chrono>

namespace mailflow {

/// An absolute monotonic deadline. Value type; thread-safe to read.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline After(Clock::duration d) {
    return Deadline(Clock::now() + d);
  }
  static Deadline Never() { return Deadline(Clock::time_point::max()); }

  Clock::time_point at() const { return at_; }
  bool Expired() const { return Clock::now() >= at_; }
  /// Time left, never negative.
  Clock::duration Remaining() const {
    auto now = Clock::now();
    return now >= at_ ? Clock::duration::zero() : at_ - now;
  }
  double RemainingSeconds() const {
    return std::chrono::duration<double>(Remaining()).count();
  }
  /// The earlier of this deadline and `other`.
  Deadline Min(Deadline other) const { return other.at_ < at_ ? other : *this; }

 private:
  Clock::time_point at_;
};

}  // namespace mailflow
