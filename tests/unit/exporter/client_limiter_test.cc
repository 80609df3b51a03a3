#include "exporter/client_limiter.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

TEST(ClientLimiterTest, RefusesBeyondTheMaximumPerClient) {
  ClientLimiter l(2);
  EXPECT_TRUE(l.Enter("10.0.0.1"));
  EXPECT_TRUE(l.Enter("10.0.0.1"));
  EXPECT_FALSE(l.Enter("10.0.0.1"));
  EXPECT_TRUE(l.Enter("10.0.0.2"));  // another client is not affected
  EXPECT_EQ(l.refused(), 1u);
  l.Leave("10.0.0.1");
  EXPECT_TRUE(l.Enter("10.0.0.1"));
  EXPECT_FALSE(l.Enter("10.0.0.1"));
  EXPECT_EQ(l.refused(), 2u);
}

TEST(ClientLimiterTest, ZeroMeansNoLimit) {
  ClientLimiter l(1);
  l.SetMax(0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.Enter("10.0.0.1"));
  EXPECT_EQ(l.refused(), 0u);
}

}  // namespace
}  // namespace mailflow
