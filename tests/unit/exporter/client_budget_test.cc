#include "exporter/client_budget.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

ClientBudget::Options Opts(double share, double burst, size_t max = 4096) {
  ClientBudget::Options o;
  o.cpu_share = share;
  o.burst_seconds = burst;
  o.max_clients = max;
  return o;
}

Deadline In(int ms) { return Deadline::After(std::chrono::milliseconds(ms)); }

TEST(ClientBudgetTest, EachCollectionIsChargedOncePerClient) {
  ClientBudget b(Opts(0.001, 1.0));
  b.Charge("10.0.0.1", 7, 0.25);
  b.Charge("10.0.0.1", 7, 0.25);  // a second request served by flight 7
  b.Charge("10.0.0.1", 6, 0.25);  // an older flight finishing late
  EXPECT_NEAR(b.Balance("10.0.0.1"), 0.75, 0.01);
  b.Charge("10.0.0.1", 8, 0.25);
  EXPECT_NEAR(b.Balance("10.0.0.1"), 0.5, 0.01);
  EXPECT_NEAR(b.Balance("10.0.0.2"), 1.0, 1e-9);  // clients are separate
}

TEST(ClientBudgetTest, AClientInDebtIsRefusedWhenItCannotRecoverInTime) {
  ClientBudget b(Opts(0.5, 1.0));
  b.Charge("10.0.0.1", 1, 3.0);  // 2 CPU seconds in debt: 4 s to recover
  std::chrono::milliseconds retry{0};
  EXPECT_FALSE(b.Admit("10.0.0.1", In(2000), &retry));
  EXPECT_GT(retry.count(), 3000);
  EXPECT_LE(retry.count(), 4000);
  // Another client is not affected.
  EXPECT_TRUE(b.Admit("10.0.0.2", In(2000), &retry));
}

TEST(ClientBudgetTest, ASmallDebtIsWaitedOut) {
  ClientBudget b(Opts(1.0, 0.01));
  b.Charge("10.0.0.1", 1, 0.03);  // 20 ms of debt at one CPU per second
  std::chrono::milliseconds retry{0};
  EXPECT_TRUE(b.Admit("10.0.0.1", In(10000), &retry));
  EXPECT_GE(b.Balance("10.0.0.1"), 0);
}

TEST(ClientBudgetTest, ZeroShareDisablesTheLimit) {
  ClientBudget b(Opts(0.5, 1.0));
  b.SetOptions(Opts(0, 1.0));
  b.Charge("10.0.0.1", 1, 100);
  std::chrono::milliseconds retry{0};
  EXPECT_TRUE(b.Admit("10.0.0.1", In(100), &retry));
}

TEST(ClientBudgetTest, TheClientTableIsBounded) {
  ClientBudget b(Opts(0.0001, 1.0, 2));
  b.Charge("a", 1, 0.5);
  b.Charge("b", 1, 0.5);
  b.Charge("c", 1, 0.5);  // evicts one of a or b (both in debt)
  EXPECT_NEAR(b.Balance("c"), 0.5, 0.01);
  const double a = b.Balance("a");  // may be a fresh, full bucket again
  EXPECT_TRUE(a > 0.49 && a <= 1.0);
}

}  // namespace
}  // namespace mailflow
