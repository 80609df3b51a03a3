// ClientLimiter: how many /metrics requests one client may have in progress.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mailflow {

/// Counts the /metrics requests in progress per client address and refuses
/// those beyond `max_per_client` (the HTTP server answers 429), so that one
/// client cannot hold every HTTP thread while the others wait. Concurrent
/// requests share one collection (ScrapeCoalescer), so this bounds threads,
/// not collections. Thread-safe.
class ClientLimiter {
 public:
  /// 0: no limit.
  explicit ClientLimiter(int max_per_client = 16) : max_(max_per_client) {}

  /// Takes effect for requests that enter afterwards.
  void SetMax(int max_per_client);

  /// Counts a request of `client` in; false (and nothing counted) when it
  /// already has the maximum in progress.
  bool Enter(const std::string& client);
  /// REQUIRES: a successful Enter(client) not yet left.
  void Leave(const std::string& client);

  /// Requests refused so far.
  uint64_t refused() const;

 private:
  mutable std::mutex mu_;
  int max_;
  std::unordered_map<std::string, int> in_progress_;  // only clients > 0
  uint64_t refused_ = 0;
};

}  // namespace mailflow
