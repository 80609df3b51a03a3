#include "lib/dns/resolv_conf.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace mailflow {
namespace {

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("MAILFLOW_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/fixtures/dns/" + name;
}

TEST(ResolvConfTest, FullFile) {
  ResolvConf rc;
  std::string err;
  ASSERT_TRUE(ReadResolvConf(Fixture("resolv_full.conf"), &rc, &err)) << err;
  ASSERT_EQ(rc.nameservers.size(), 4u);
  EXPECT_EQ(rc.nameservers[0].Label(), "192.0.2.53");
  EXPECT_FALSE(rc.nameservers[0].ipv6);
  EXPECT_EQ(rc.nameservers[1].Label(), "2001:db8::53");
  EXPECT_TRUE(rc.nameservers[1].ipv6);
  EXPECT_EQ(rc.nameservers[1].CsvEntry(), "[2001:db8::53]:53");
  EXPECT_EQ(rc.nameservers[2].Label(), "127.0.0.1:5353");
  EXPECT_EQ(rc.nameservers[2].port, 5353);
  EXPECT_EQ(rc.nameservers[3].Label(), "[::1]:5354");
  EXPECT_TRUE(rc.nameservers[3].IsLoopback());
  // libc reads three.
  ASSERT_EQ(rc.Effective().size(), 3u);
  EXPECT_EQ(rc.Effective()[2].Label(), "127.0.0.1:5353");
  EXPECT_FALSE(rc.default_nameserver);
  EXPECT_EQ(rc.search,
            (std::vector<std::string>{"corp.example.net", "example.net"}));
  EXPECT_EQ(rc.ndots, 2);
  EXPECT_EQ(rc.timeout_seconds, 30);  // clamped like glibc
  EXPECT_EQ(rc.attempts, 3);
  EXPECT_TRUE(rc.rotate);
  EXPECT_TRUE(rc.edns0);
  EXPECT_EQ(rc.problems,
            (std::vector<std::string>{
                "line 7: nameserver 127.0.0.1:5353 has a port: the libc "
                "resolver ignores this line",
                "line 8: nameserver [::1]:5354 has brackets/port: the libc "
                "resolver ignores this line",
                "line 8: nameserver [::1]:5354 beyond the third: the libc "
                "resolver ignores it",
                "line 9: invalid nameserver address \"not-an-address\"",
                "line 10: unknown option \"bogus-option\"",
                "line 12: unknown keyword \"frobnicate\"",
            }));
}

TEST(ResolvConfTest, NoNameserverMeansLocalDefault) {
  ResolvConf rc;
  std::string err;
  ASSERT_TRUE(ReadResolvConf(Fixture("resolv_empty.conf"), &rc, &err));
  EXPECT_TRUE(rc.default_nameserver);
  ASSERT_EQ(rc.nameservers.size(), 1u);
  EXPECT_EQ(rc.nameservers[0].Label(), "127.0.0.1");
  EXPECT_TRUE(rc.nameservers[0].IsLoopback());
  EXPECT_EQ(rc.search, std::vector<std::string>{"example.org"});
  EXPECT_TRUE(rc.problems.empty());
}

TEST(ResolvConfTest, DomainAndSearchOverrideEachOther) {
  auto rc = ParseResolvConf("search a.test b.test\ndomain c.test d.test\n");
  EXPECT_EQ(rc.search, std::vector<std::string>{"c.test"});
  rc = ParseResolvConf("domain c.test\nsearch a.test b.test\n");
  EXPECT_EQ(rc.search, (std::vector<std::string>{"a.test", "b.test"}));
}

TEST(ResolvConfTest, KeywordMustStartLineAndBeFollowedByBlank) {
  auto rc = ParseResolvConf(
      " nameserver 10.0.0.1\nnameserver10.0.0.2\n"
      "nameserver 10.0.0.3#53\r\n");
  ASSERT_EQ(rc.nameservers.size(), 1u);
  EXPECT_EQ(rc.nameservers[0].Label(), "10.0.0.3");
  EXPECT_EQ(rc.problems,
            (std::vector<std::string>{"line 1: unknown keyword \"nameserver\"",
                                      "line 2: unknown keyword "
                                      "\"nameserver10.0.0.2\""}));
}

TEST(ResolvConfTest, NameServerForms) {
  NameServer ns;
  ASSERT_TRUE(ParseNameServer("fe80::1%eth0", &ns));
  EXPECT_EQ(ns.address, "fe80::1%eth0");
  ASSERT_TRUE(ParseNameServer("::ffff:127.0.0.1", &ns));
  EXPECT_TRUE(ns.IsLoopback());
  ASSERT_TRUE(ParseNameServer("0:0:0:0:0:0:0:1", &ns));
  EXPECT_EQ(ns.address, "::1");  // canonical
  ASSERT_TRUE(ParseNameServer("127.0.0.53", &ns));
  EXPECT_TRUE(ns.IsLoopback());
  EXPECT_EQ(ns.CsvEntry(), "127.0.0.53:53");
  EXPECT_FALSE(ParseNameServer("127.0.0.1:0", &ns));
  EXPECT_FALSE(ParseNameServer("127.0.0.1:65536", &ns));
  EXPECT_FALSE(ParseNameServer("[127.0.0.1]:53", &ns));
  EXPECT_FALSE(ParseNameServer("[::1", &ns));
  EXPECT_FALSE(ParseNameServer("[::1]53", &ns));
  EXPECT_FALSE(ParseNameServer("::1:", &ns));
  EXPECT_FALSE(ParseNameServer("", &ns));
  EXPECT_FALSE(ParseNameServer("%eth0", &ns));
  EXPECT_FALSE(ParseNameServer("example.org", &ns));
}

TEST(ResolvConfTest, ChrootCopyDiffers) {
  auto host = ParseResolvConf("nameserver 127.0.0.1\nnameserver 10.0.0.1\n");
  auto same = ParseResolvConf(
      "# copy\nnameserver 127.0.0.1\n"
      "nameserver 10.0.0.1\noptions rotate\n");
  auto other = ParseResolvConf("nameserver 10.0.0.1\nnameserver 127.0.0.1\n");
  auto stale = ParseResolvConf("nameserver 192.0.2.1\n");
  auto missing = ParseResolvConf("");
  EXPECT_FALSE(NameServersDiffer(host, same));
  EXPECT_TRUE(NameServersDiffer(host, other));  // order matters to libc
  EXPECT_TRUE(NameServersDiffer(host, stale));
  EXPECT_TRUE(NameServersDiffer(host, missing));
  // A fourth server is ignored by libc: no difference.
  auto four = ParseResolvConf(
      "nameserver 1.1.1.1\nnameserver 1.0.0.1\n"
      "nameserver 9.9.9.9\nnameserver 8.8.8.8\n");
  auto three = ParseResolvConf(
      "nameserver 1.1.1.1\nnameserver 1.0.0.1\n"
      "nameserver 9.9.9.9\n");
  EXPECT_FALSE(NameServersDiffer(four, three));
}

TEST(ResolvConfTest, UnreadableFile) {
  ResolvConf rc;
  std::string err;
  EXPECT_FALSE(ReadResolvConf("/nonexistent/resolv.conf", &rc, &err));
  EXPECT_EQ(err,
            "/nonexistent/resolv.conf: cannot read: No such file or "
            "directory");
}

}  // namespace
}  // namespace mailflow
