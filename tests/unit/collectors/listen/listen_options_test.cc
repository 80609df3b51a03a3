#include "collectors/listen/listen_options.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

bool Parse(const std::string& yaml, ListenOptions* o, std::string* err) {
  Config config;
  config.paths.postfix_config_directory = "/srv/postfix";
  config.paths.proc = "/host/proc";
  config.smtp_ports = {25, 587};
  ConfigMap m;
  if (!ConfigMap::Parse(yaml, "listen.yml", &m, err)) return false;
  return ParseListenOptions(config, m, o, err);
}

std::string Error(const std::string& yaml) {
  ListenOptions o;
  std::string err;
  EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
  return err;
}

TEST(ListenOptionsTest, Defaults) {
  ListenOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_EQ(o.ports, (std::vector<int64_t>{25, 587}));
  EXPECT_EQ(o.proc, "/host/proc");
  EXPECT_EQ(o.postfix_config_directory, "/srv/postfix");
  EXPECT_TRUE(o.resolve_owners);
}

TEST(ListenOptionsTest, ResolveOwners) {
  ListenOptions o;
  std::string err;
  ASSERT_TRUE(Parse("resolve_owners: false\n", &o, &err)) << err;
  EXPECT_FALSE(o.resolve_owners);
}

TEST(ListenOptionsTest, Errors) {
  EXPECT_EQ(Error("resolve_owners: maybe\n"),
            "listen.yml:1:17: \"resolve_owners\" must be true or false");
  EXPECT_EQ(Error("resolve_owners: true\nports: [25]\n"),
            "listen.yml:2:1: unknown key \"ports\"");
}

}  // namespace
}  // namespace mailflow
