#include "collectors/queue/queue_options.h"

#include <gtest/gtest.h>

#include "tests/support/options_test.h"

namespace mailflow {
namespace {

class QueueOptionsTest : public test_support::OptionsTest<QueueCollectorOptions,
                                                          ParseQueueOptions> {
 protected:
  QueueOptionsTest() : OptionsTest("queue.yml") {
    config_.paths.postfix_config_directory = "/srv/postfix";
  }
};

TEST_F(QueueOptionsTest, DefaultsFollowMainCf) {
  QueueCollectorOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_EQ(o.config_directory, "/srv/postfix");
  EXPECT_EQ(o.queue_directory, "");
  EXPECT_EQ(o.maximal_queue_lifetime, -1);
  EXPECT_EQ(o.scan.top_domains, 10u);
  EXPECT_EQ(o.scan.max_tracked_messages, 1000000u);
  EXPECT_EQ(o.scan.max_domains, 20000u);
}

TEST_F(QueueOptionsTest, Full) {
  QueueCollectorOptions o;
  std::string err;
  ASSERT_TRUE(
      Parse("queue_directory: /var/spool/p2\n"
            "maximal_queue_lifetime: 2d\n"
            "top_domains: 0\n"
            "max_tracked_messages: 5\n"
            "max_domains: 7\n",
            &o, &err))
      << err;
  EXPECT_EQ(o.queue_directory, "/var/spool/p2");
  EXPECT_EQ(o.maximal_queue_lifetime, 2 * 86400);
  EXPECT_EQ(o.scan.top_domains, 0u);
  EXPECT_EQ(o.scan.max_tracked_messages, 5u);
  EXPECT_EQ(o.scan.max_domains, 7u);
}

TEST_F(QueueOptionsTest, Errors) {
  EXPECT_EQ(Error("top_domains: 1001\n"),
            "queue.yml:1:14: \"top_domains\" must be an integer from 0 to "
            "1000");
  EXPECT_EQ(Error("max_domains: 0\n"),
            "queue.yml:1:14: \"max_domains\" must be an integer from 1 to "
            "10000000");
  EXPECT_EQ(Error("max_tracked_messages: -1\n"),
            "queue.yml:1:23: \"max_tracked_messages\" must be an integer from "
            "0 to 100000000");
  EXPECT_EQ(Error("maximal_queue_lifetime: 2y\n"),
            "queue.yml:1:25: \"maximal_queue_lifetime\" must be a duration "
            "from 0s to 365d (such as 500ms, 10s or 5m)");
  EXPECT_EQ(Error("queue_directory: [a]\n"),
            "queue.yml:1:18: \"queue_directory\" must be a string");
  EXPECT_EQ(Error("top_domain: 3\n"),
            "queue.yml:1:1: unknown key \"top_domain\"");
}

}  // namespace
}  // namespace mailflow
