#include "collectors/listen/listen_options.h"

#include <gtest/gtest.h>

#include "tests/support/options_test.h"

namespace mailflow {
namespace {

class ListenOptionsTest
    : public test_support::OptionsTest<ListenOptions, ParseListenOptions> {
 protected:
  ListenOptionsTest() : OptionsTest("listen.yml") {
    config_.paths.postfix_config_directory = "/srv/postfix";
    config_.paths.proc = "/host/proc";
    config_.smtp_ports = {25, 587};
  }
};

TEST_F(ListenOptionsTest, Defaults) {
  ListenOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_EQ(o.ports, (std::vector<int64_t>{25, 587}));
  EXPECT_EQ(o.proc, "/host/proc");
  EXPECT_EQ(o.postfix_config_directory, "/srv/postfix");
  EXPECT_TRUE(o.resolve_owners);
}

TEST_F(ListenOptionsTest, ResolveOwners) {
  ListenOptions o;
  std::string err;
  ASSERT_TRUE(Parse("resolve_owners: false\n", &o, &err)) << err;
  EXPECT_FALSE(o.resolve_owners);
}

TEST_F(ListenOptionsTest, Errors) {
  EXPECT_EQ(Error("resolve_owners: maybe\n"),
            "listen.yml:1:17: \"resolve_owners\" must be true or false");
  EXPECT_EQ(Error("resolve_owners: true\nports: [25]\n"),
            "listen.yml:2:1: unknown key \"ports\"");
}

}  // namespace
}  // namespace mailflow
