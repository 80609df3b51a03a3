#include "exporter/live_web_config.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/unit/exporter/auth_test_util.h"

namespace mailflow {
namespace {

// htpasswd -nbB -C 4 bob 'p:ss word'.
const char kOldHash[] =
    "$2y$04$kHWkpB2izAY06HxqiNd8..2EReSIEk7WXucQF96VYO4QGnY1q2GR2";
const char kOldPassword[] = "Basic Ym9iOnA6c3Mgd29yZA==";  // bob:p:ss word
// kBasicAuthDummyHash is bcrypt("fakepassword").
const char kNewPassword[] = "Basic Ym9iOmZha2VwYXNzd29yZA==";

std::shared_ptr<WebConfig> Config(const std::string& hash,
                                  const std::string& header) {
  auto c = std::make_shared<WebConfig>();
  c->source = "/etc/web.yml";
  if (!hash.empty()) c->basic_auth_users["bob"] = hash;
  if (!header.empty()) c->headers.emplace_back("X-Frame-Options", header);
  return c;
}

std::shared_ptr<WebConfig> TlsConfig() {
  auto c = Config("", "");
  c->tls_enabled = true;
  c->tls.cert_file = "/nonexistent/server.crt";
  c->tls.key_file = "/nonexistent/server.key";
  return c;
}

TEST(CheckWebConfigReloadTest, TlsCannotBeTurnedOnOrOff) {
  std::string err;
  EXPECT_TRUE(
      CheckWebConfigReload(*Config("", ""), *Config(kOldHash, "deny"), &err));
  EXPECT_TRUE(CheckWebConfigReload(*TlsConfig(), *TlsConfig(), &err));
  EXPECT_EQ(err, "");
  EXPECT_FALSE(CheckWebConfigReload(*Config("", ""), *TlsConfig(), &err));
  EXPECT_EQ(err,
            "/etc/web.yml: tls_server_config would turn TLS on, but the "
            "exporter serves plain HTTP until it is restarted");
  EXPECT_FALSE(CheckWebConfigReload(*TlsConfig(), *Config("", ""), &err));
  EXPECT_EQ(err,
            "/etc/web.yml: tls_server_config is gone or empty, which would "
            "turn TLS off, but the exporter serves HTTPS until it is "
            "restarted");
}

TEST(LiveWebConfigTest, ApplySwapsUsersAndHeadersAndDropsTheCache) {
  LiveWebConfig live(Config(kOldHash, "deny"));
  const std::shared_ptr<const WebState> old = live.Get();
  ASSERT_NE(old->auth, nullptr);
  EXPECT_EQ(old->headers, "X-Frame-Options: deny\r\n");
  EXPECT_TRUE(Ok(*old->auth, kOldPassword));
  EXPECT_TRUE(Ok(*old->auth, kOldPassword));
  EXPECT_EQ(old->auth->cache_hits(), 1u);

  std::string err;
  ASSERT_TRUE(live.Apply(Config(kBasicAuthDummyHash, "sameorigin"), &err))
      << err;
  const std::shared_ptr<const WebState> now = live.Get();
  EXPECT_EQ(now->headers, "X-Frame-Options: sameorigin\r\n");
  // The cached success of the old password does not carry over.
  EXPECT_FALSE(Ok(*now->auth, kOldPassword));
  EXPECT_TRUE(Ok(*now->auth, kNewPassword));
  EXPECT_TRUE(Ok(*now->auth, kNewPassword));
  EXPECT_EQ(now->auth->cache_hits(), 1u);
  // A request that started before the swap finishes with its state.
  EXPECT_TRUE(Ok(*old->auth, kOldPassword));
  EXPECT_EQ(old->headers, "X-Frame-Options: deny\r\n");

  // Without users: no authentication at all.
  ASSERT_TRUE(live.Apply(Config("", ""), &err)) << err;
  EXPECT_EQ(live.Get()->auth, nullptr);
  EXPECT_EQ(live.Get()->headers, "");
}

TEST(LiveWebConfigTest, RefusedReloadKeepsTheRunningConfig) {
  LiveWebConfig live(Config(kOldHash, "deny"));
  EXPECT_FALSE(live.tls_enabled());
  const std::shared_ptr<const WebState> before = live.Get();
  std::string err;
  EXPECT_FALSE(live.Apply(TlsConfig(), &err));
  EXPECT_EQ(err,
            "/etc/web.yml: tls_server_config would turn TLS on, but the "
            "exporter serves plain HTTP until it is restarted");
  EXPECT_EQ(live.Get(), before);
  EXPECT_EQ(live.tls()->generation(), 0u);
}

TEST(LiveWebConfigTest, UnreadableCertificateKeepsTheRunningContext) {
  LiveWebConfig live(TlsConfig());
  EXPECT_TRUE(live.tls_enabled());
  std::string err;
  EXPECT_FALSE(live.InitTls(&err));
  EXPECT_EQ(err,
            "/etc/web.yml: cannot load cert_file /nonexistent/server.crt: "
            "No such file or directory");
  const std::shared_ptr<const WebState> before = live.Get();
  auto next = TlsConfig();
  next->basic_auth_users["bob"] = kOldHash;
  EXPECT_FALSE(live.Apply(next, &err));
  EXPECT_EQ(err,
            "/etc/web.yml: cannot load cert_file /nonexistent/server.crt: "
            "No such file or directory");
  EXPECT_EQ(live.Get(), before);  // users unchanged too: all or nothing
  EXPECT_EQ(live.tls()->generation(), 0u);
  EXPECT_NE(live.tls()->base(), nullptr);
}

TEST(LiveWebConfigTest, ReloadReadsTheFileItCameFrom) {
  LiveWebConfig live(Config("", ""));
  std::string err;
  EXPECT_FALSE(live.Reload(&err));
  EXPECT_EQ(err, "/etc/web.yml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace mailflow
