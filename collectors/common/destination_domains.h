// DestinationDomains: the destination domains of the mail Postfix is
// holding, published by the queue collector and read by the dns prober
// (`domains_from_queue`), so the MX lookups follow where mail actually waits.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mailflow {

/// A snapshot board: the last published list replaces the previous one.
/// Thread-safe: the queue collector publishes from scrape threads while the
/// dns prober reads from its own thread. Holds at most kMaxDomains entries.
class DestinationDomains {
 public:
  static constexpr size_t kMaxDomains = 1000;

  /// Replaces the list. `domains` is ordered by pending recipients,
  /// most first; entries beyond kMaxDomains are dropped. `now` is the Unix
  /// time of the scan the list comes from.
  void Publish(std::vector<std::pair<std::string, uint64_t>> domains,
               double now);

  /// The first `n` domains of the last published list (names only).
  std::vector<std::string> Top(size_t n) const;

  /// Unix time of the last Publish(); 0 when nothing was published yet.
  double published_at() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> domains_;  // guarded by mu_
  double published_at_ = 0;                                // guarded by mu_
};

}  // namespace mailflow
