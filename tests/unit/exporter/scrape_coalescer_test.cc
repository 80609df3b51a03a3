#include "exporter/scrape_coalescer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace mailflow {
namespace {

// A producer whose runs the test lets finish one by one.
class GatedProducer {
 public:
  ScrapeCoalescer::Result Run(Deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    const int run = ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ >= run; });
    return {"run " + std::to_string(run) + "\n", 0.001};
  }
  void WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void Release(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = n;
    cv_.notify_all();
  }
  int started() {
    std::lock_guard<std::mutex> lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  int released_ = 0;
};

Deadline Later() { return Deadline::After(std::chrono::seconds(30)); }

void WaitQueued(const ScrapeCoalescer& c, int n) {
  while (c.queued() < n) std::this_thread::yield();
}

TEST(ScrapeCoalescerTest, RequestsDuringACollectionShareTheNextOne) {
  GatedProducer p;
  ScrapeCoalescer c([&](Deadline d) { return p.Run(d); });
  auto first = std::async(std::launch::async, [&] { return c.Get(Later()); });
  p.WaitStarted(1);
  // Three requests arrive while run 1 is in progress: none may be served by
  // it (it started before them), all share run 2.
  std::vector<std::future<std::shared_ptr<const ScrapeResponse>>> later;
  for (int i = 0; i < 3; ++i) {
    later.push_back(
        std::async(std::launch::async, [&] { return c.Get(Later()); }));
  }
  WaitQueued(c, 3);
  p.Release(2);
  auto r1 = first.get();
  EXPECT_EQ(r1->body(), "run 1\n");
  std::shared_ptr<const ScrapeResponse> shared = later[0].get();
  EXPECT_EQ(shared->body(), "run 2\n");
  for (size_t i = 1; i < later.size(); ++i) {
    EXPECT_EQ(later[i].get(), shared);  // the same response object
  }
  EXPECT_EQ(p.started(), 2);
  EXPECT_EQ(c.flights(), 2u);
  EXPECT_LT(r1->flight(), shared->flight());
  EXPECT_DOUBLE_EQ(shared->cpu_seconds(), 0.001);
}

TEST(ScrapeCoalescerTest, SequentialRequestsEachGetAFreshCollection) {
  int runs = 0;
  ScrapeCoalescer c([&](Deadline) {
    return ScrapeCoalescer::Result{std::to_string(++runs), 0};
  });
  EXPECT_EQ(c.Get(Later())->body(), "1");
  EXPECT_EQ(c.Get(Later())->body(), "2");
}

TEST(ScrapeCoalescerTest, AnUrgentBatchDoesNotWaitForAStuckCollection) {
  GatedProducer p;
  ScrapeCoalescer c([&](Deadline d) { return p.Run(d); });
  auto stuck = std::async(std::launch::async, [&] { return c.Get(Later()); });
  p.WaitStarted(1);
  // Half of 200 ms later the batch starts alongside the stuck run.
  auto urgent = std::async(std::launch::async, [&] {
    return c.Get(Deadline::After(std::chrono::milliseconds(200)));
  });
  p.WaitStarted(2);
  p.Release(2);  // lets run 2 finish; run 1 too, as the gate is a count
  EXPECT_EQ(urgent.get()->body(), "run 2\n");
  EXPECT_EQ(stuck.get()->body(), "run 1\n");
}

TEST(ScrapeCoalescerTest, CollectionsKeepToTheirCpuShare) {
  // Each collection "costs" 0.4 s of CPU: at a 50 % share the next one may
  // start 0.8 s after it.
  int runs = 0;
  ScrapeCoalescer c(
      [&](Deadline) {
        return ScrapeCoalescer::Result{std::to_string(++runs), 0.4};
      },
      0.5);
  EXPECT_EQ(c.Get(Later())->body(), "1");
  EXPECT_EQ(c.Get(Later())->body(), "2");  // fresh, but held back
  EXPECT_EQ(c.held_back(), 1u);
  // Without a share, nothing waits.
  c.SetMaxCpuShare(0);
  c.Get(Later());  // the spacing set by run 2 still applies to run 3
  c.Get(Later());
  c.Get(Later());
  EXPECT_LE(c.held_back(), 2u);
  EXPECT_EQ(runs, 5);
}

TEST(ScrapeCoalescerTest, AnUrgentRequestIsNotHeldBeyondHalfItsTime) {
  int runs = 0;
  ScrapeCoalescer c(
      [&](Deadline) {
        return ScrapeCoalescer::Result{std::to_string(++runs), 100};
      },
      0.01);  // a spacing capped at one second
  c.Get(Later());
  // 100 ms to go: it starts after 50 ms, not after the spacing.
  auto r = c.Get(Deadline::After(std::chrono::milliseconds(100)));
  EXPECT_EQ(r->body(), "2");
}

TEST(ScrapeCoalescerTest, GzipIsComputedOnceAndDecompresses) {
  ScrapeCoalescer c([](Deadline) {
    return ScrapeCoalescer::Result{std::string(10000, 'x') + "\n", 0};
  });
  auto r = c.Get(Later());
  const std::string* gz = r->gzipped();
  ASSERT_NE(gz, nullptr);
  EXPECT_EQ(r->gzipped(), gz);
  EXPECT_LT(gz->size(), r->body().size());
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(20000, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz->data()));
  zs.avail_in = static_cast<uInt>(gz->size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(out, r->body());
}

}  // namespace
}  // namespace mailflow
