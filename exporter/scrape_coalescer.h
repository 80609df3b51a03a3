// ScrapeCoalescer: concurrent /metrics requests share one collection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/deadline.h"

namespace mailflow {

/// One /metrics body, shared read-only by every request that waited for it.
class ScrapeResponse {
 public:
  ScrapeResponse(std::string body, uint64_t flight, double cpu_seconds)
      : body_(std::move(body)), flight_(flight), cpu_seconds_(cpu_seconds) {}

  const std::string& body() const { return body_; }
  /// The collection that produced it (increasing, unique per coalescer).
  uint64_t flight() const { return flight_; }
  /// What the collection cost: the collectors' working time (wall time, an
  /// upper bound of their CPU), the commands they ran and the
  /// serialization's CPU.
  double cpu_seconds() const { return cpu_seconds_; }
  /// The body gzip-compressed, computed once on first use; nullptr when
  /// zlib fails. Thread-safe.
  const std::string* gzipped() const;

 private:
  const std::string body_;
  const uint64_t flight_;
  const double cpu_seconds_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzip_;
  mutable bool gzip_ok_ = false;
};

/// Single flight for scrapes. A request waits for a collection that starts
/// after it arrived, never an older one, so a change made before a scrape
/// shows in it. Requests that arrive while a collection runs are batched:
/// the first of them runs the next collection as soon as the current one
/// ends, for all of them, with the earliest of their deadlines.
///
/// Collections also keep to a CPU share (the duty cycle): after one that
/// cost C seconds of CPU, the next starts no earlier than C / share after
/// it started (at most one second later). However many clients ask and
/// however fast, collections use at most that share of one CPU; under such
/// load each collection serves more requests, so throughput holds and a
/// request waits at most one spacing longer. A Prometheus server scraping
/// every few seconds never meets it.
///
/// A batch does not wait beyond half the time its most urgent request has
/// left: it then starts anyway, alongside a running collection (whose
/// collectors are shared, see CollectorSet). Thread-safe.
class ScrapeCoalescer {
 public:
  struct Result {
    std::string body;
    double cpu_seconds = 0;
  };
  /// Runs one collection due by the deadline. Called on a requesting
  /// thread, never under the coalescer's lock.
  using Producer = std::function<Result(Deadline)>;

  /// `max_cpu_share`: CPU seconds per second collections may use (0: no
  /// limit).
  explicit ScrapeCoalescer(Producer producer, double max_cpu_share = 0)
      : producer_(std::move(producer)), share_(max_cpu_share) {}

  /// Takes effect from the next collection on.
  void SetMaxCpuShare(double max_cpu_share);

  /// The response of a collection that started after this call. Returns by
  /// `deadline` plus the producer's slack.
  std::shared_ptr<const ScrapeResponse> Get(Deadline deadline);

  /// Collections run so far (for tests and benchmarks).
  uint64_t flights() const;
  /// Collections that waited for the duty cycle.
  uint64_t held_back() const;
  /// Requests waiting for the next collection, not started yet (for tests).
  int queued() const;

 private:
  struct Flight;

  const Producer producer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Flight> pending_;  // requests waiting, not started
  int running_ = 0;
  uint64_t flights_ = 0;
  double share_;
  Deadline::Clock::time_point next_start_{};  // the duty cycle's
  uint64_t held_back_ = 0;
};

}  // namespace mailflow
