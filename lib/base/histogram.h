// CumulativeHistogram: fixed-bucket histogram for values observed over time.
#pragma once

#include <cstdint>
#include <vector>

namespace mailflow {

/// Counts observations into fixed upper bounds (le). Not thread-safe: callers
/// that share one across threads hold their own lock.
class CumulativeHistogram {
 public:
  /// REQUIRES: `upper_bounds` strictly increasing, without +Inf.
  explicit CumulativeHistogram(std::vector<double> upper_bounds)
      : upper_bounds_(std::move(upper_bounds)),
        counts_(upper_bounds_.size(), 0) {}

  void Observe(double value) {
    for (size_t i = 0; i < upper_bounds_.size(); ++i) {
      if (value <= upper_bounds_[i]) {
        ++counts_[i];
        break;
      }
    }
    ++count_;
    sum_ += value;
  }

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  /// Per-bucket (not cumulative) counts, parallel to upper_bounds().
  const std::vector<uint64_t>& bucket_counts() const { return counts_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upper_bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace mailflow
