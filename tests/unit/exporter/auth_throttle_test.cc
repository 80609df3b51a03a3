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

TEST(AuthThrottleTest, FailuresWithinTheWindowBlockTheSource) {
  AuthThrottle::Options o;
  o.max_failures = 3;
  o.window = milliseconds(200);
  AuthThrottle t(o);
  int retry = 0;
  std::string ticket;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(t.Admit("a", &retry, &ticket), Admission::kAdmitted);
    t.Done(ticket, false);
  }
  EXPECT_EQ(t.Admit("a", &retry, &ticket), Admission::kThrottled);
  EXPECT_EQ(retry, 1);  // seconds, rounded up
  EXPECT_TRUE(t.Throttled("a", &retry));
  EXPECT_FALSE(t.Throttled("b", &retry));
  // The window passes: the source may try again.
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_FALSE(t.Throttled("a", &retry));
  ASSERT_EQ(t.Admit("a", &retry, &ticket), Admission::kAdmitted);
  t.Done(ticket, true);
}

TEST(AuthThrottleTest, ASuccessClearsFailures) {
  AuthThrottle::Options o;
  o.max_failures = 2;
  AuthThrottle t(o);
  int retry = 0;
  std::string ticket;
  for (bool ok : {false, true, false, true, false}) {
    ASSERT_EQ(t.Admit("a", &retry, &ticket), Admission::kAdmitted);
    t.Done(ticket, ok);
  }
  EXPECT_FALSE(t.Throttled("a", &retry));
}

TEST(AuthThrottleTest, OneVerificationPerSourceAndABoundOverall) {
  AuthThrottle::Options o;
  o.max_concurrent = 2;
  o.max_wait = milliseconds(300);
  AuthThrottle t(o);
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
  AuthThrottle::Options o;
  o.max_concurrent = 3;
  AuthThrottle t(o);
  std::atomic<int> running{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      const std::string source = "s" + std::to_string(i);
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
  AuthThrottle::Options o;
  o.max_sources = 2;
  o.max_failures = 1;
  AuthThrottle t(o);
  int retry = 0;
  std::string ticket;
  for (const char* s : {"a", "b"}) {
    ASSERT_EQ(t.Admit(s, &retry, &ticket), Admission::kAdmitted);
    t.Done(ticket, false);  // both blocked, so neither can be pruned
  }
  ASSERT_EQ(t.Admit("c", &retry, &ticket), Admission::kAdmitted);
  EXPECT_EQ(ticket, "other");
  t.Done(ticket, false);
  EXPECT_TRUE(t.Throttled("d", &retry));  // shares "other" with c
}

}  // namespace
}  // namespace mailflow
