#include "collectors/dns/dns_diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow {
namespace {

DnsFacts Facts() {
  DnsFacts f;
  f.config_directory = "/etc/postfix";
  f.host_path = "/etc/resolv.conf";
  f.host_servers = {"127.0.0.1"};
  f.primary = "127.0.0.1";
  f.primary_local = true;
  f.configured = true;
  f.domains = 1;
  f.round_done = true;
  f.query_timeout_seconds = 5;
  f.round_timeout_seconds = 20;
  return f;
}

DnsResolverRound Round(const char* r, size_t lookups, size_t failures,
                       double mx_median) {
  DnsResolverRound x;
  x.resolver = r;
  x.answering = true;
  x.lookups = lookups;
  x.failures = failures;
  x.mx_median_seconds = mx_median;
  if (failures) x.failure_example = "MX example.org: servfail";
  return x;
}

TEST(DnsFindingsTest, HealthyLocalCache) {
  DnsFacts f = Facts();
  f.resolvers = {Round("127.0.0.1", 10, 0, 0.002)};
  f.resolvers[0].repeat_median_seconds = 0.0001;
  std::vector<Finding> out;
  DnsFindings(f, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].summary,
            "Postfix's smtp client asks 127.0.0.1 first: a cache on this host");
  EXPECT_EQ(out[0].evidence[0].text, "nameserver 127.0.0.1");
  EXPECT_EQ(out[1].status, CheckStatus::kOk);
  EXPECT_EQ(out[1].summary,
            "127.0.0.1 answers: MX lookups in 2.0 ms (median), repeated in "
            "0.1 ms");
}

TEST(DnsFindingsTest, Thresholds) {
  DnsFacts f = Facts();
  f.resolvers = {Round("a", 10, 1, 1.0), Round("b", 10, 2, 1.2)};
  std::vector<Finding> out;
  DnsFindings(f, &out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1].status, CheckStatus::kOk);  // 10% and 1.0 s: not over
  EXPECT_EQ(out[2].runbook, "DNSLookupFailures");
  EXPECT_EQ(out[2].evidence[0].text, "MX example.org: servfail");
  EXPECT_EQ(out[3].runbook, "MXLookupSlow");
  EXPECT_EQ(out[3].summary,
            "MX lookups through b take 1.2 s (median): every delivery to an "
            "uncached domain waits that long");
}

TEST(DnsFindingsTest, SilentResolverAndNoRound) {
  DnsFacts f = Facts();
  DnsResolverRound silent = Round("127.0.0.2", 4, 4, -1);
  silent.answering = false;
  silent.timeouts = 4;
  f.resolvers = {silent};
  std::vector<Finding> out;
  DnsFindings(f, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].status, CheckStatus::kWarn);
  EXPECT_EQ(out[1].evidence[0].text, "4 lookups, 4 failed (4 timeouts)");
  EXPECT_TRUE(out[2].unchecked);
  EXPECT_NE(out[2].summary.find("within the query timeout (5.0 s)"),
            std::string::npos);
  f.round_done = false;
  out.clear();
  DnsFindings(f, &out);
  EXPECT_TRUE(out.back().unchecked);
  f.configured = false;
  out.clear();
  DnsFindings(f, &out);
  EXPECT_EQ(out.back().status, CheckStatus::kSkipped);
  EXPECT_FALSE(out.back().unchecked);
}

TEST(DnsFindingsTest, RemoteResolverAndChrootCopy) {
  DnsFacts f = Facts();
  f.configured = false;
  f.host_servers = {"192.0.2.53"};
  f.primary = "192.0.2.53";
  f.primary_local = false;
  f.smtp_chrooted = f.chrooted = true;
  f.jail_path = "/var/spool/postfix/etc/resolv.conf";
  f.jail_ok = true;
  f.jail_servers = {"192.0.2.99"};
  f.differs = true;
  std::vector<Finding> out;
  DnsFindings(f, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].status, CheckStatus::kOk);  // NoLocalDNSCache is info
  EXPECT_EQ(out[0].runbook, "NoLocalDNSCache");
  EXPECT_EQ(out[1].status, CheckStatus::kWarn);
  EXPECT_EQ(out[1].fix,
            "cp /etc/resolv.conf /var/spool/postfix/etc/resolv.conf");
  EXPECT_EQ(out[1].apply, "postfix reload");
}

}  // namespace
}  // namespace mailflow
