#include "exporter/reload_gate.h"

#include <gtest/gtest.h>

#include <thread>

namespace mailflow {
namespace {

TEST(ReloadGateTest, OneAtATimeAndNotTooOften) {
  ReloadGate gate(std::chrono::milliseconds(100));
  int retry = 0;
  ASSERT_TRUE(gate.TryStart(&retry));
  EXPECT_FALSE(gate.TryStart(&retry));  // running
  EXPECT_EQ(retry, 1);
  gate.Done();
  EXPECT_FALSE(gate.TryStart(&retry));  // too soon after the last start
  EXPECT_EQ(retry, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  ASSERT_TRUE(gate.TryStart(&retry));
  gate.Done();
}

TEST(ReloadGateTest, RetryAfterRoundsUp) {
  ReloadGate gate(std::chrono::milliseconds(2500));
  int retry = 0;
  ASSERT_TRUE(gate.TryStart(&retry));
  gate.Done();
  EXPECT_FALSE(gate.TryStart(&retry));
  EXPECT_EQ(retry, 3);
}

}  // namespace
}  // namespace mailflow
