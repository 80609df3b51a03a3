#include "collectors/postfix/postfix_options.h"

#include <gtest/gtest.h>

#include "tests/support/options_test.h"

namespace mailflow {
namespace {

class PostfixOptionsTest
    : public test_support::OptionsTest<PostfixOptions, ParsePostfixOptions> {
 protected:
  PostfixOptionsTest() : OptionsTest("postfix.yml") {
    config_.paths.postfix_config_directory = "/srv/postfix";
    config_.paths.proc = "/host/proc";
    config_.paths.etc = "/host/etc";
    config_.smtp_ports = {25, 2525};
  }
};

TEST_F(PostfixOptionsTest, DefaultsGuessTheRole) {
  PostfixOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_EQ(o.config_directory, "/srv/postfix");
  EXPECT_EQ(o.proc, "/host/proc");
  EXPECT_EQ(o.etc, "/host/etc");
  EXPECT_EQ(o.smtp_ports, (std::vector<int64_t>{25, 2525}));
  EXPECT_FALSE(o.role.has_value());
  ASSERT_TRUE(Parse("role: auto\n", &o, &err)) << err;
  EXPECT_FALSE(o.role.has_value());
}

TEST_F(PostfixOptionsTest, Role) {
  PostfixOptions o;
  std::string err;
  ASSERT_TRUE(Parse("role: null_client\n", &o, &err)) << err;
  ASSERT_TRUE(o.role.has_value());
  EXPECT_EQ(*o.role, postfix::HostRole::kNullClient);
  ASSERT_TRUE(Parse("role: submission\n", &o, &err)) << err;
  EXPECT_EQ(*o.role, postfix::HostRole::kSubmission);
}

TEST_F(PostfixOptionsTest, Errors) {
  EXPECT_EQ(Error("role: relay\n"),
            "postfix.yml:1:1: role must be auto, mx, submission or "
            "null_client, not \"relay\"");
  EXPECT_EQ(Error("role: [mx]\n"),
            "postfix.yml:1:7: \"role\" must be a string");
  EXPECT_EQ(Error("\nrol: mx\n"), "postfix.yml:2:1: unknown key \"rol\"");
}

}  // namespace
}  // namespace mailflow
