#include "exporter/http_server.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mailflow
