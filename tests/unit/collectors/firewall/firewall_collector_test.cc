// The firewall collector with fake `nft` programs: metrics, the missing
// capability message, and the deadline kill of a hanging child.
#include "collectors/firewall/firewall_collector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "collectors/common/metrics.h"
#include "lib/base/subprocess.h"

namespace mailflow {
namespace {

class FirewallCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailflow-fw-unit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  }

  std::unique_ptr<Collector> Make(const std::string& yaml, std::string* err) {
    Config config;
    config.smtp_ports = {25, 587};
    config.paths.proc = dir_;  // no net/ip_tables_names: no legacy tables
    config.paths.postfix_config_directory = dir_ + "/no-postfix";
    ConfigMap options;
    EXPECT_TRUE(ConfigMap::Parse(yaml, "test.yml", &options, err)) << *err;
    const CollectorInfo* info = BuiltinRegistry().Find("firewall");
    EXPECT_NE(info, nullptr);
    return info->create(config, options, CollectorContext(), err);
  }

  std::string BaseYaml(const std::string& nft) {
    return "nft_path: " + nft + "\nufw_directory: " + dir_ + "/no-ufw\n" +
           "firewalld_directory: " + dir_ +
           "/no-fwd\nfirewalld_lib_directory: " + dir_ +
           "/no-fwd-lib\nipv6: \"false\"\n";
  }

  static double Value(
      const std::vector<prometheus::MetricFamily>& fams,
      const std::string& name,
      const std::vector<std::pair<std::string, std::string>>& labels) {
    for (const auto& f : fams) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        bool all = true;
        for (const auto& [k, v] : labels) {
          bool found = false;
          for (const auto& l : m.label)
            found = found || (l.name == k && l.value == v);
          all = all && found;
        }
        if (all) return m.gauge.value;
      }
    }
    return -1;
  }

  std::string dir_;
};

TEST_F(FirewallCollectorTest, OptionErrors) {
  std::string err;
  Config config;
  ConfigMap options;
  ASSERT_TRUE(ConfigMap::Parse("ipv6: maybe\n", "test.yml", &options, &err));
  std::string where = options.Where("ipv6");
  EXPECT_EQ(BuiltinRegistry()
                .Find("firewall")
                ->create(config, options, CollectorContext(), &err),
            nullptr);
  EXPECT_EQ(err, where + ": ipv6 must be auto, true or false, got \"maybe\"");
  ASSERT_TRUE(ConfigMap::Parse("nft_path: nft\n", "test.yml", &options, &err));
  EXPECT_EQ(BuiltinRegistry()
                .Find("firewall")
                ->create(config, options, CollectorContext(), &err),
            nullptr);
  EXPECT_EQ(err, options.Where() +
                     ": firewall tool paths must be absolute, got \"nft\"");
  ASSERT_TRUE(ConfigMap::Parse("nft_pth: /x\n", "test.yml", &options, &err));
  EXPECT_EQ(BuiltinRegistry()
                .Find("firewall")
                ->create(config, options, CollectorContext(), &err),
            nullptr);
  EXPECT_NE(err.find("nft_pth"), std::string::npos) << err;
}

TEST_F(FirewallCollectorTest, VerdictsFromTheRuleset) {
  const char* src = std::getenv("MAILFLOW_SOURCE_DIR");
  std::string fixture = std::string(src ? src : ".") +
                        "/tests/fixtures/firewall/drop_policy.json";
  std::string nft = Script("nft", "exec cat '" + fixture + "'");
  std::string err;
  auto c = Make(BaseYaml(nft), &err);
  ASSERT_NE(c, nullptr) << err;
  std::vector<prometheus::MetricFamily> out;
  Status st = c->Collect(Deadline::After(std::chrono::seconds(10)), &out);
  ASSERT_TRUE(st.ok()) << st.message();
  const std::string v = "mailflow_firewall_inbound_verdict";
  EXPECT_EQ(
      Value(out, v,
            {{"backend", "nftables"}, {"port", "25"}, {"verdict", "accept"}}),
      1);
  EXPECT_EQ(
      Value(out, v,
            {{"backend", "nftables"}, {"port", "25"}, {"verdict", "drop"}}),
      0);
  EXPECT_EQ(
      Value(out, v,
            {{"backend", "nftables"}, {"port", "587"}, {"verdict", "drop"}}),
      1);
  EXPECT_EQ(
      Value(out, "mailflow_firewall_backend_present", {{"backend", "ufw"}}), 0);
  EXPECT_EQ(Value(out, "mailflow_firewall_backend_enabled",
                  {{"backend", "nftables"}}),
            1);
  EXPECT_EQ(Value(out, "mailflow_firewall_ruleset_readable",
                  {{"backend", "nftables"}}),
            1);
  EXPECT_EQ(
      Value(out, "mailflow_firewall_ruleset_rules", {{"backend", "nftables"}}),
      3);
  for (const auto& f : out) EXPECT_TRUE(IsValidMetricName(f.name)) << f.name;
}

TEST_F(FirewallCollectorTest, WatchesTheInetServicesOfMasterCf) {
  std::string pf = dir_ + "/no-postfix";  // the directory Make() points at
  ASSERT_EQ(mkdir(pf.c_str(), 0755), 0);
  std::ofstream(pf + "/main.cf") << "inet_interfaces = all\n";
  std::ofstream(pf + "/master.cf")
      << "2525      inet  n       -       n       -       -       smtpd\n"
      << "#10025    inet  n       -       n       -       -       smtpd\n";
  std::string nft = Script("nft", "echo '{\"nftables\": []}'");
  std::string err;
  auto c = Make(BaseYaml(nft), &err);
  ASSERT_NE(c, nullptr) << err;
  std::vector<prometheus::MetricFamily> out;
  ASSERT_TRUE(c->Collect(Deadline::After(std::chrono::seconds(10)), &out).ok());
  const std::string v = "mailflow_firewall_inbound_verdict";
  EXPECT_EQ(Value(out, v, {{"port", "2525"}, {"verdict", "accept"}}), 1);
  EXPECT_EQ(Value(out, v, {{"port", "25"}, {"verdict", "accept"}}), 1);
  EXPECT_EQ(Value(out, v, {{"port", "10025"}, {"verdict", "accept"}}), -1);
}

TEST_F(FirewallCollectorTest, WithoutCapNetAdmin) {
  std::string nft = Script(
      "nft",
      "echo 'Error: Operation not permitted (you must be root)' >&2; exit 1");
  std::string err;
  auto c = Make(BaseYaml(nft), &err);
  ASSERT_NE(c, nullptr) << err;
  std::vector<prometheus::MetricFamily> out;
  Status st = c->Collect(Deadline::After(std::chrono::seconds(10)), &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "cannot read the nftables ruleset: " + nft +
                ": exit status 1: Error: Operation not permitted (you must be "
                "root); grant CAP_NET_ADMIN (systemd: "
                "AmbientCapabilities=CAP_NET_ADMIN and "
                "CapabilityBoundingSet=CAP_NET_ADMIN in the unit; container: "
                "--cap-add=NET_ADMIN); nothing else needs root");
  EXPECT_EQ(Value(out, "mailflow_firewall_ruleset_readable",
                  {{"backend", "nftables"}}),
            0);
  EXPECT_EQ(
      Value(out, "mailflow_firewall_inbound_verdict",
            {{"backend", "nftables"}, {"port", "25"}, {"verdict", "accept"}}),
      -1);
}

TEST_F(FirewallCollectorTest, HangingNftIsKilledAtTheDeadline) {
  std::string nft = Script("nft", "exec sleep 30");
  std::string err;
  auto c = Make(BaseYaml(nft) + "command_timeout: 300ms\n", &err);
  ASSERT_NE(c, nullptr) << err;
  std::vector<prometheus::MetricFamily> out;
  Status st = c->Collect(Deadline::After(std::chrono::seconds(10)), &out);
  ASSERT_FALSE(st.ok());
  // Killed (at command_timeout, before the 30 s sleep ends), not waited for.
  EXPECT_EQ(st.message(), "cannot read the nftables ruleset: " + nft +
                              ": killed at the scrape deadline");
}

TEST(RunCommand, CollectsOutputAndStatus) {
  auto r =
      firewall::RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"},
                           Deadline::After(std::chrono::seconds(10)));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  auto missing = firewall::RunCommand(
      {"/nonexistent/nft"}, Deadline::After(std::chrono::seconds(10)));
  EXPECT_FALSE(missing.started);
  EXPECT_EQ(missing.spawn_error, "No such file or directory");
  auto big =
      firewall::RunCommand({"/bin/sh", "-c", "head -c 100000 /dev/zero"},
                           Deadline::After(std::chrono::seconds(10)), 1000);
  EXPECT_TRUE(big.truncated);
  EXPECT_EQ(big.out.size(), 1000u);
}

}  // namespace
}  // namespace mailflow
