#include "exporter/auth_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace mailflow {
namespace {

using Admission = AuthThrottle::Admission;
using std::chrono::milliseconds;

// One admitted verification of `source` ending with `ok`.
void Verify(AuthThrottle* t, const char* source, bool ok) {
  int retry = 0;
  std::string ticket;
  ASSERT_EQ(t->Admit(source, &retry, &ticket), Admission::kAdmitted);
  t->Done(ticket, ok);
}

TEST(AuthThrottleTest, FailuresWithinTheWindowBlockTheSource) {
  AuthThrottle t({.max_failures = 3, .window = milliseconds(200)});
  int retry = 0;
  std::string ticket;
  for (int i = 0; i < 3; ++i) Verify(&t, "a", false);
  EXPECT_EQ(t.Admit("a", &retry, &ticket), Admission::kThrottled);
  EXPECT_EQ(retry, 1);  // seconds, rounded up
  EXPECT_TRUE(t.Throttled("a", &retry));
  EXPECT_FALSE(t.Throttled("b", &retry));
  // The window passes: the source may try again.
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_FALSE(t.Throttled("a", &retry));
  Verify(&t, "a", true);
}

TEST(AuthThrottleTest, ASuccessClearsFailures) {
  AuthThrottle t({.max_failures = 2});
  for (bool ok : {false, true, false, true, false}) Verify(&t, "a", ok);
  int retry = 0;
  EXPECT_FALSE(t.Throttled("a", &retry));
}

TEST(AuthThrottleTest, OneVerificationPerSourceAndABoundOverall) {
  AuthThrottle t({.max_concurrent = 2, .max_wait = milliseconds(300)});
  int retry = 0;
  std::string a, b, c;
  ASSERT_EQ(t.Admit("a", &retry, &a), Admission::kAdmitted);
  // Same source while its first verification runs: waits, then busy.
  std::string again;
  EXPECT_EQ(t.Admit("a", &retry, &again), Admission::kBusy);
  EXPECT_EQ(retry, 1);
  ASSERT_EQ(t.Admit("b", &retry, &b), Admission::kAdmitted);
  // Both slots taken: a third source waits for one to free up.
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(10));
    t.Done(a, true);
  });
  EXPECT_EQ(t.Admit("c", &retry, &c), Admission::kAdmitted);
  release.join();
  t.Done(b, true);
  t.Done(c, true);
}

TEST(AuthThrottleTest, NeverMoreThanMaxConcurrent) {
  AuthThrottle t({.max_concurrent = 3});
  std::atomic<int> running{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      const std::string source = std::string("s").append(std::to_string(i));
      for (int n = 0; n < 20; ++n) {
        int retry = 0;
        std::string ticket;
        ASSERT_EQ(t.Admit(source, &retry, &ticket), Admission::kAdmitted);
        const int now = ++running;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --running;
        t.Done(ticket, true);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST(AuthThrottleTest, SourcesBeyondTheCapShareOneEntry) {
  AuthThrottle t({.max_failures = 1, .max_sources = 2});
  int retry = 0;
  std::string ticket;
  Verify(&t, "a", false);  // both blocked, so neither can be pruned
  Verify(&t, "b", false);
  ASSERT_EQ(t.Admit("c", &retry, &ticket), Admission::kAdmitted);
  EXPECT_EQ(ticket, "other");
  t.Done(ticket, false);
  EXPECT_TRUE(t.Throttled("d", &retry));  // shares "other" with c
}

}  // namespace
}  // namespace mailflow
