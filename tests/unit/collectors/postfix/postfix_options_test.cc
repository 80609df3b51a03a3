#include "collectors/postfix/postfix_options.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

bool Parse(const std::string& yaml, PostfixOptions* o, std::string* err) {
  Config config;
  config.paths.postfix_config_directory = "/srv/postfix";
  config.paths.proc = "/host/proc";
  config.paths.etc = "/host/etc";
  config.smtp_ports = {25, 2525};
  ConfigMap m;
  if (!ConfigMap::Parse(yaml, "postfix.yml", &m, err)) return false;
  return ParsePostfixOptions(config, m, o, err);
}

std::string Error(const std::string& yaml) {
  PostfixOptions o;
  std::string err;
  EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
  return err;
}

TEST(PostfixOptionsTest, DefaultsGuessTheRole) {
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

TEST(PostfixOptionsTest, Role) {
  PostfixOptions o;
  std::string err;
  ASSERT_TRUE(Parse("role: null_client\n", &o, &err)) << err;
  ASSERT_TRUE(o.role.has_value());
  EXPECT_EQ(*o.role, postfix::HostRole::kNullClient);
  ASSERT_TRUE(Parse("role: submission\n", &o, &err)) << err;
  EXPECT_EQ(*o.role, postfix::HostRole::kSubmission);
}

TEST(PostfixOptionsTest, Errors) {
  EXPECT_EQ(Error("role: relay\n"),
            "postfix.yml:1:1: role must be auto, mx, submission or "
            "null_client, not \"relay\"");
  EXPECT_EQ(Error("role: [mx]\n"),
            "postfix.yml:1:7: \"role\" must be a string");
  EXPECT_EQ(Error("\nrol: mx\n"), "postfix.yml:2:1: unknown key \"rol\"");
}

}  // namespace
}  // namespace mailflow
