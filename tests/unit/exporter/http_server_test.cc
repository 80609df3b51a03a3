#include "exporter/http_server.h"

#include <gtest/gtest.h>

#include "exporter/exporter.h"

namespace mailflow {
namespace {

TEST(TranslateListenAddressTest, PrometheusFormsToCivetweb) {
  std::string out, err;
  ASSERT_TRUE(TranslateListenAddress(":10029", &out, &err)) << err;
  EXPECT_EQ(out, "0.0.0.0:10029");
  ASSERT_TRUE(TranslateListenAddress("localhost:9", &out, &err));
  EXPECT_EQ(out, "127.0.0.1:9");
  ASSERT_TRUE(TranslateListenAddress("127.0.0.1:0", &out, &err));
  EXPECT_EQ(out, "127.0.0.1:0");
}

TEST(TranslateListenAddressTest, Rejections) {
  std::string out, err;
  EXPECT_FALSE(TranslateListenAddress("10029", &out, &err));
  EXPECT_EQ(err, "listen address \"10029\" must be HOST:PORT or :PORT");
  EXPECT_FALSE(TranslateListenAddress(":99999", &out, &err));
  EXPECT_EQ(err, "listen address \":99999\": bad port \"99999\"");
  EXPECT_FALSE(TranslateListenAddress("[::1]:10029", &out, &err));
  EXPECT_EQ(err,
            "listen address \"[::1]:10029\": IPv6 is not supported by this "
            "build of civetweb");
  EXPECT_FALSE(TranslateListenAddress("example.org:1", &out, &err));
  EXPECT_EQ(err,
            "listen address \"example.org:1\": host must be an IPv4 address, "
            "localhost or empty");
  EXPECT_FALSE(TranslateListenAddress("1.2.3.256:1", &out, &err));
}

TEST(AccessControlListTest, AllowlistToCivetweb) {
  std::string acl, err;
  ASSERT_TRUE(AccessControlList({}, &acl, &err));
  EXPECT_EQ(acl, "");
  ASSERT_TRUE(AccessControlList({"10.0.0.0/8", "192.0.2.7", "127.0.0.1/32"},
                                &acl, &err))
      << err;
  EXPECT_EQ(acl, "-0.0.0.0/0,+10.0.0.0/8,+192.0.2.7/32,+127.0.0.1/32");
}

TEST(AccessControlListTest, Rejections) {
  std::string acl, err;
  EXPECT_FALSE(AccessControlList({"10.0.0.0/33"}, &acl, &err));
  EXPECT_EQ(err,
            "--web.allowed-networks: \"10.0.0.0/33\" is not an IPv4 network "
            "such as 10.0.0.0/8 or 192.0.2.7");
  EXPECT_FALSE(AccessControlList({"2001:db8::/32"}, &acl, &err));
  EXPECT_EQ(err,
            "--web.allowed-networks: \"2001:db8::/32\" is not an IPv4 network "
            "such as 10.0.0.0/8 or 192.0.2.7 (the server listens on IPv4 "
            "only)");
  for (const char* bad :
       {"", "/8", "10.0.0.0/", "10.0.0/8", "host.example", "10.0.0.0/8x",
        "+10.0.0.0/8", "10.0.0.0/8,-1.2.3.4"}) {
    EXPECT_FALSE(AccessControlList({bad}, &acl, &err)) << bad;
  }
}

TEST(ScrapeBudgetTest, HeaderIsCappedAndOffset) {
  ScrapeSettings s;  // default 10s, max 60s, offset 500ms
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, nullptr), 9.5);
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, "15"), 14.5);
  // The reproducer: 86399 s pinned a worker for a day.
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, "86399"), 59.5);
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, "1e308"), 59.5);
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, "inf"), 59.5);
  for (const char* bad : {"nan", "-5", "0", "", "5s", "abc"}) {
    EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, bad), 9.5) << bad;
  }
  EXPECT_DOUBLE_EQ(ScrapeBudgetSeconds(s, "0.5"), 0.25);  // half, not zero
}

}  // namespace
}  // namespace mailflow
