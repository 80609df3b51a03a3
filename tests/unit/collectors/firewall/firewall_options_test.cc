#include "collectors/firewall/firewall_options.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

bool Parse(const std::string& yaml, FirewallOptions* o, std::string* err) {
  ConfigMap m;
  if (!ConfigMap::Parse(yaml, "fw.yml", &m, err)) return false;
  return ParseFirewallOptions(DefaultConfig(), m, o, err);
}

std::string Error(const std::string& yaml) {
  FirewallOptions o;
  std::string err;
  EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
  return err;
}

TEST(FirewallOptionsTest, DefaultsAndGlobalSettings) {
  Config config = DefaultConfig();
  config.smtp_ports = {25, 2525};
  config.paths.proc = "/fixture/proc";
  FirewallOptions o;
  std::string err;
  ASSERT_TRUE(ParseFirewallOptions(config, ConfigMap(), &o, &err)) << err;
  EXPECT_EQ(o.ports, (std::vector<int64_t>{25, 2525}));
  EXPECT_EQ(o.proc, "/fixture/proc");
  EXPECT_EQ(o.nft, "/usr/sbin/nft");
  EXPECT_EQ(o.ipv6, "auto");
  EXPECT_EQ(o.command_timeout, std::chrono::seconds(5));
  EXPECT_EQ(o.ruleset_max_age, std::chrono::hours(1));
}

TEST(FirewallOptionsTest, Full) {
  FirewallOptions o;
  std::string err;
  ASSERT_TRUE(
      Parse("nft_path: /opt/nft\nipv6: \"false\"\n"
            "ufw_directory: /srv/ufw\ncommand_timeout: 2s\n"
            "ruleset_max_age: 10m\n",
            &o, &err))
      << err;
  EXPECT_EQ(o.nft, "/opt/nft");
  EXPECT_EQ(o.ipv6, "false");
  EXPECT_EQ(o.ufw_directory, "/srv/ufw");
  EXPECT_EQ(o.command_timeout, std::chrono::seconds(2));
  EXPECT_EQ(o.ruleset_max_age, std::chrono::minutes(10));
}

TEST(FirewallOptionsTest, ExactErrors) {
  EXPECT_EQ(Error("ipv6: maybe\n"),
            "fw.yml:1:1: ipv6 must be auto, true or false, got \"maybe\"");
  EXPECT_EQ(Error("nft_path: nft\n"),
            "fw.yml:1:1: firewall tool paths must be absolute, got \"nft\"");
  EXPECT_EQ(Error("command_timeout: 10ms\n"),
            "fw.yml:1:18: \"command_timeout\" must be a duration from 100ms "
            "to 1m (such as 500ms, 10s or 5m)");
  EXPECT_EQ(Error("nft: /usr/sbin/nft\n"), "fw.yml:1:1: unknown key \"nft\"");
}

}  // namespace
}  // namespace mailflow
