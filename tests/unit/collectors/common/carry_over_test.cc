#include "collectors/common/carry_over.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace mailflow {
namespace {

struct Counter {
  int value = 0;
};
struct Other {
  int value = 7;
};

TEST(CarryOverTest, SameKeySameObjectWhileHeld) {
  CarryOver store;
  auto a = store.Get<Counter>("smtp\nsection");
  a->value = 42;
  // The collector of the next configuration (same options) gets it back.
  auto b = store.Get<Counter>("smtp\nsection");
  EXPECT_EQ(a.get(), b.get());
  // Other options, or another type under the same key: another object.
  EXPECT_NE(store.Get<Counter>("smtp\nchanged").get(), a.get());
  EXPECT_EQ(store.Get<Other>("smtp\nsection")->value, 7);
  // Held by nobody any more: gone.
  a.reset();
  b.reset();
  EXPECT_EQ(store.Get<Counter>("smtp\nsection")->value, 0);
}

TEST(RoundClockTest, FirstRoundAtOnceThenEveryInterval) {
  RoundClock clock;
  using Clock = RoundClock::Clock;
  const auto t0 = Clock::now();
  const auto interval = std::chrono::seconds(60);
  EXPECT_LE(clock.due(), t0);
  ASSERT_TRUE(clock.Claim(t0, interval));
  EXPECT_EQ(clock.due(), t0 + interval);
  // A reload's new prober loop asks again at once: not due.
  EXPECT_FALSE(clock.Claim(t0 + std::chrono::seconds(1), interval));
  ASSERT_TRUE(clock.Claim(t0 + interval, interval));
  EXPECT_EQ(clock.due(), t0 + 2 * interval);
  // A round that overran by more than an interval: the next one at once,
  // then the rhythm again (no burst of missed rounds).
  const auto late = t0 + 5 * interval;
  ASSERT_TRUE(clock.Claim(late, interval));
  EXPECT_EQ(clock.due(), late);
  ASSERT_TRUE(clock.Claim(late, interval));
  EXPECT_EQ(clock.due(), late + interval);
}

TEST(RoundClockTest, OneClaimPerRoundAcrossThreads) {
  RoundClock clock;
  std::atomic<int> claimed{0};
  std::vector<std::thread> loops;
  const auto now = RoundClock::Clock::now();
  for (int i = 0; i < 8; ++i) {
    loops.emplace_back([&] {
      if (clock.Claim(now, std::chrono::hours(1))) ++claimed;
    });
  }
  for (auto& t : loops) t.join();
  EXPECT_EQ(claimed.load(), 1);
}

}  // namespace
}  // namespace mailflow
