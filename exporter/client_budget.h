// ClientBudget: how much collection CPU each /metrics client may cause.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "lib/base/deadline.h"

namespace mailflow {

/// A token bucket of CPU seconds per client address. Every collection a
/// client's requests waited for is charged to it once (its 16 concurrent
/// requests served by one collection pay once) with the CPU it cost
/// (ScrapeResponse::cpu_seconds), and the bucket refills at
/// `cpu_share` CPU seconds per second up to `burst`. A client in debt waits
/// before its next collection until the bucket is back at zero; when that
/// would take more than half the time its scrape has left, the request is
/// refused (HTTP 429) instead. A Prometheus server scraping every few
/// seconds never comes near the limit; a client scraping in a loop is held
/// to `cpu_share` of one CPU, whatever the other clients do. Thread-safe.
class ClientBudget {
 public:
  struct Options {
    /// CPU seconds per second one client's collections may use on average;
    /// 0 disables the budget.
    double cpu_share = 0.5;
    /// CPU seconds a client may use at once.
    double burst_seconds = 1.0;
    /// Clients remembered; beyond it, those with a full bucket are dropped
    /// first (they carry no state), then arbitrary ones.
    size_t max_clients = 4096;
  };

  ClientBudget() = default;
  explicit ClientBudget(Options options) : options_(options) {}

  /// Replaces the options (a configuration reload); balances are kept.
  void SetOptions(Options options);

  /// Waits until `client` may start a collection. Returns false without
  /// waiting when its bucket would not be back at zero within half the time
  /// `deadline` leaves; then `*retry_after` is how long until it is.
  bool Admit(const std::string& client, Deadline deadline,
             std::chrono::milliseconds* retry_after);

  /// Charges `client` for collection `flight` (once per flight).
  void Charge(const std::string& client, uint64_t flight, double cpu_seconds);

  /// The client's balance now, in CPU seconds (for tests).
  double Balance(const std::string& client);

  /// Requests Admit() made wait, and refused, so far.
  struct Counts {
    uint64_t delayed = 0;
    uint64_t refused = 0;
  };
  Counts counts();

 private:
  struct Bucket {
    double balance = 0;  // CPU seconds; refilled lazily
    Deadline::Clock::time_point updated;
    uint64_t last_flight = 0;
  };
  // REQUIRES: mu_ held. Refills `b` up to now.
  void Refill(Bucket* b, Deadline::Clock::time_point now) const;
  Bucket* Find(const std::string& client, Deadline::Clock::time_point now);

  std::mutex mu_;
  Options options_;
  std::unordered_map<std::string, Bucket> buckets_;
  Counts counts_;
};

}  // namespace mailflow
