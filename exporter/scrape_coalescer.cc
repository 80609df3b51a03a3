#include "exporter/scrape_coalescer.h"

#include <algorithm>
#include <exception>

#include "exporter/gzip.h"

namespace mailflow {

const std::string* ScrapeResponse::gzipped() const {
  std::call_once(gzip_once_, [this] { gzip_ok_ = Gzip(body_, &gzip_); });
  return gzip_ok_ ? &gzip_ : nullptr;
}

struct ScrapeCoalescer::Flight {
  Flight(Deadline d, Deadline::Clock::time_point latest)
      : deadline(d), latest_start(latest) {}
  Deadline deadline;  // the earliest of the batch
  int waiters = 0;
  Deadline::Clock::time_point latest_start;  // start by then at the latest
  bool claimed = false;
  bool held = false;  // waited for the duty cycle
  bool done = false;
  std::shared_ptr<const ScrapeResponse> response;
};

std::shared_ptr<const ScrapeResponse> ScrapeCoalescer::Get(Deadline deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto now = Deadline::Clock::now();
  const auto latest = now + deadline.Remaining() / 2;
  if (!pending_) {
    pending_ = std::make_shared<Flight>(deadline, latest);
  } else {
    pending_->deadline = pending_->deadline.Min(deadline);
    pending_->latest_start = std::min(pending_->latest_start, latest);
  }
  std::shared_ptr<Flight> f = pending_;
  ++f->waiters;
  for (;;) {
    if (f->done) return f->response;
    if (f->claimed) {
      cv_.wait(lock);
      continue;
    }
    const auto t = Deadline::Clock::now();
    if (t >= f->latest_start || (running_ == 0 && t >= next_start_)) {
      break;  // this request runs the batch
    }
    if (running_ == 0) f->held = true;
    cv_.wait_until(lock, running_ == 0 ? std::min(next_start_, f->latest_start)
                                       : f->latest_start);
  }
  f->claimed = true;
  pending_.reset();
  ++running_;
  if (f->held) ++held_back_;
  const uint64_t id = ++flights_;
  const Deadline due = f->deadline;
  const auto started = Deadline::Clock::now();
  lock.unlock();
  Result r;
  try {
    r = producer_(due);
  } catch (const std::exception& e) {  // e.g. bad_alloc: waiters must wake
    r.body = std::string("# scrape failed: ") + e.what() + "\n";
  }
  auto response = std::make_shared<const ScrapeResponse>(std::move(r.body), id,
                                                         r.cpu_seconds);
  lock.lock();
  if (share_ > 0) {
    const auto spacing = std::min<Deadline::Clock::duration>(
        std::chrono::duration_cast<Deadline::Clock::duration>(
            std::chrono::duration<double>(r.cpu_seconds / share_)),
        std::chrono::seconds(1));
    next_start_ = std::max(next_start_, started + spacing);
  }
  f->response = response;
  f->done = true;
  --running_;
  cv_.notify_all();
  return response;
}

void ScrapeCoalescer::SetMaxCpuShare(double max_cpu_share) {
  std::lock_guard<std::mutex> lock(mu_);
  share_ = max_cpu_share;
}

uint64_t ScrapeCoalescer::held_back() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_back_;
}

int ScrapeCoalescer::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_ ? pending_->waiters : 0;
}

uint64_t ScrapeCoalescer::flights() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flights_;
}

}  // namespace mailflow
