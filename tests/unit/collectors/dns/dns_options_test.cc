#include "collectors/dns/dns_options.h"

#include <gtest/gtest.h>

#include "collectors/dns/dns_collector.h"
#include "lib/dns/dns_prober.h"

namespace mailflow {
namespace {

bool Parse(const std::string& yaml, DnsOptions* o, std::string* err) {
  ConfigMap m;
  if (!ConfigMap::Parse(yaml, "dns.yml", &m, err)) return false;
  return ParseDnsOptions(DefaultConfig(), m, o, err);
}

std::string Error(const std::string& yaml) {
  DnsOptions o;
  std::string err;
  EXPECT_FALSE(Parse(yaml, &o, &err)) << yaml;
  return err;
}

TEST(DnsOptionsTest, DefaultsProbeNothing) {
  DnsOptions o;
  std::string err;
  ASSERT_TRUE(Parse("", &o, &err)) << err;
  EXPECT_TRUE(o.domains.empty());
  EXPECT_FALSE(o.rbl_checks);
  EXPECT_TRUE(o.reverse_dns_addresses.empty());
  EXPECT_FALSE(o.reverse_dns_auto);
  EXPECT_EQ(o.resolv_conf, "/etc/resolv.conf");
}

TEST(DnsOptionsTest, PathsFromTheGlobalConfig) {
  Config config = DefaultConfig();
  config.paths.etc = "/fixture/etc";
  config.paths.postfix_config_directory = "/fixture/postfix";
  DnsOptions o;
  std::string err;
  ASSERT_TRUE(ParseDnsOptions(config, ConfigMap(), &o, &err)) << err;
  EXPECT_EQ(o.resolv_conf, "/fixture/etc/resolv.conf");
  EXPECT_EQ(o.postfix_config_directory, "/fixture/postfix");
  // A bad option leaves the output as it was.
  ConfigMap m;
  ASSERT_TRUE(ConfigMap::Parse("chroot: maybe\n", "dns.yml", &m, &err));
  EXPECT_FALSE(ParseDnsOptions(config, m, &o, &err));
  EXPECT_EQ(o.resolv_conf, "/fixture/etc/resolv.conf");
}

TEST(DnsOptionsTest, Full) {
  DnsOptions o;
  std::string err;
  ASSERT_TRUE(Parse(R"(
resolv_conf: /tmp/r.conf
resolvers: ["127.0.0.1:5353", "::1", "[::1]:5300"]
domains: [Example.ORG., example.org, gmail.com]
max_domains: 5
interval: 30s
round_timeout: 10s
query_timeout: 2s
reverse_dns_addresses: [auto]
rbl_checks: true
rbl_zones: [zen.spamhaus.org, "rhsbl:dbl.spamhaus.org"]
)",
                    &o, &err))
      << err;
  EXPECT_EQ(o.domains, (std::vector<std::string>{"example.org", "gmail.com"}));
  ASSERT_EQ(o.extra_resolvers.size(), 3u);
  EXPECT_EQ(o.extra_resolvers[2].Label(), "[::1]:5300");
  EXPECT_TRUE(o.reverse_dns_auto);
  EXPECT_EQ(o.max_domains, 5u);
  EXPECT_EQ(o.domains_from_queue, 0u);
}

TEST(DnsOptionsTest, DomainsFromQueueIsATarget) {
  DnsOptions o;
  std::string err;
  ASSERT_TRUE(Parse("domains_from_queue: 10\n", &o, &err)) << err;
  EXPECT_EQ(o.domains_from_queue, 10u);
  EXPECT_TRUE(o.domains.empty());
}

TEST(DnsOptionsTest, Errors) {
  EXPECT_EQ(Error("resolvers: [\"dns.google\"]\n"),
            "dns.yml:1:1: invalid resolver \"dns.google\" (want ADDRESS, "
            "ADDRESS:PORT or [IPV6]:PORT)");
  EXPECT_EQ(Error("domains: [\"bad domain\"]\n"),
            "dns.yml:1:1: invalid domain \"bad domain\"");
  EXPECT_EQ(Error("chroot: maybe\n"),
            "dns.yml:1:1: chroot must be auto, yes or no");
  EXPECT_EQ(Error("interval: 10s\nround_timeout: 20s\n"),
            "dns.yml:2:1: round_timeout must be between 100ms and the "
            "interval");
  EXPECT_EQ(Error("query_timeout: 30s\n"),
            "dns.yml:1:1: query_timeout must be between 10ms and the "
            "round_timeout");
  EXPECT_EQ(Error("reverse_dns_addresses: [mail.example.org]\n"),
            "dns.yml:1:1: invalid address \"mail.example.org\" (want numeric "
            "addresses, or the single word auto)");
  EXPECT_EQ(Error("domain: [x.org]\n"), "dns.yml:1:1: unknown key \"domain\"");
  EXPECT_EQ(Error("domains_from_queue: 101\n"),
            "dns.yml:1:21: \"domains_from_queue\" must be an integer from 0 "
            "to 100");
}

TEST(DnsAddressTest, PublicAddresses) {
  for (const char* a : {"8.8.8.8", "2a00:1450:4001::1", "203.0.114.1"}) {
    EXPECT_TRUE(IsPublicAddress(a)) << a;
  }
  for (const char* a :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.1.1", "100.64.0.1", "192.0.2.1", "198.51.100.1", "203.0.113.9",
        "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1",
        "2001:db8::1", "::ffff:8.8.8.8", "nonsense"}) {
    EXPECT_FALSE(IsPublicAddress(a)) << a;
  }
}

TEST(DnsAddressTest, ReverseName) {
  EXPECT_EQ(ReverseName("192.0.2.10"), "10.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseName("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
            "ip6.arpa");
  EXPECT_EQ(ReverseName("mail.example.org"), "");
}

}  // namespace
}  // namespace mailflow
