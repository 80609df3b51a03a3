#include "exporter/basic_auth.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/unit/exporter/auth_test_util.h"

namespace mailflow {
namespace {

// htpasswd -nbB -C 4 bob 'p:ss word' (apache2-utils, an independent bcrypt).
const char kBobHash[] =
    "$2y$04$kHWkpB2izAY06HxqiNd8..2EReSIEk7WXucQF96VYO4QGnY1q2GR2";

// bcrypt of `password` with libxcrypt, prefix "$2a$" or "$2b$", cost 4.
std::string Bcrypt(const char* prefix, const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  const char random[16] = "0123456789abcde";
  EXPECT_NE(
      crypt_gensalt_rn(prefix, 4, random, sizeof(random), salt, sizeof(salt)),
      nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

std::string Header(const std::string& base64) { return "Basic " + base64; }

TEST(ParseBasicAuthorizationTest, Forms) {
  std::string user, password;
  // base64("bob:p:ss word")
  ASSERT_TRUE(
      ParseBasicAuthorization("Basic Ym9iOnA6c3Mgd29yZA==", &user, &password));
  EXPECT_EQ(user, "bob");
  EXPECT_EQ(password, "p:ss word");  // split at the first ':'
  ASSERT_TRUE(ParseBasicAuthorization("basic   YTpi ", &user, &password));
  EXPECT_EQ(user, "a");
  EXPECT_EQ(password, "b");
  ASSERT_TRUE(ParseBasicAuthorization("BASIC Ym9iOg==", &user, &password));
  EXPECT_EQ(user, "bob");
  EXPECT_EQ(password, "");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YTpi", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("BasicYTpi", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YTp", &user, &password));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YT=i", &user, &password));
  EXPECT_FALSE(
      ParseBasicAuthorization("Basic Ym9i", &user, &password));  // no ':'
  EXPECT_FALSE(ParseBasicAuthorization("Basic YTpi!!!!", &user, &password));
}

TEST(VerifyBcryptTest, AllThreePrefixes) {
  EXPECT_TRUE(VerifyBcrypt("p:ss word", kBobHash));
  EXPECT_FALSE(VerifyBcrypt("p:ss word ", kBobHash));
  EXPECT_FALSE(VerifyBcrypt("", kBobHash));
  for (const char* prefix : {"$2a$", "$2b$"}) {
    const std::string hash = Bcrypt(prefix, "s3cret");
    ASSERT_EQ(hash.rfind(prefix, 0), 0u) << hash;
    EXPECT_TRUE(VerifyBcrypt("s3cret", hash)) << hash;
    EXPECT_FALSE(VerifyBcrypt("s3creT", hash)) << hash;
  }
  // exporter-toolkit's stand-in for unknown users is a real bcrypt hash, so
  // unknown users cost as much as known ones.
  EXPECT_TRUE(VerifyBcrypt("fakepassword", kBasicAuthDummyHash));
  EXPECT_FALSE(VerifyBcrypt("x", "not a hash"));
  EXPECT_FALSE(VerifyBcrypt("x", ""));
}

TEST(BasicAuthTest, ChecksAndCachesSuccesses) {
  BasicAuth auth({{"bob", kBobHash}, {"amy", Bcrypt("$2b$", "amy pw")}});
  ASSERT_TRUE(auth.enabled());
  const std::string bob = Header("Ym9iOnA6c3Mgd29yZA==");  // bob:p:ss word
  const std::string amy = Header("YW15OmFteSBwdw==");      // amy:amy pw
  EXPECT_FALSE(Ok(auth, nullptr));
  EXPECT_FALSE(Ok(auth, ""));
  EXPECT_FALSE(Ok(auth, "Basic Ym9iOnBhc3M="));          // bob:pass
  EXPECT_FALSE(Ok(auth, "Basic ZXZlOnA6c3Mgd29yZA=="));  // eve:p:ss word
  EXPECT_FALSE(Ok(auth, "Basic YW15OnA6c3Mgd29yZA=="));  // amy, bob's pw
  EXPECT_EQ(auth.cache_hits(), 0u);
  EXPECT_TRUE(Ok(auth, bob.c_str()));
  EXPECT_EQ(auth.cache_hits(), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Ok(auth, bob.c_str()));
  EXPECT_EQ(auth.cache_hits(), 5u);
  EXPECT_TRUE(Ok(auth, amy.c_str()));
  EXPECT_TRUE(Ok(auth, amy.c_str()));
  EXPECT_EQ(auth.cache_hits(), 6u);
  // A cached success does not let a wrong password through.
  EXPECT_FALSE(Ok(auth, "Basic Ym9iOnA6c3Mgd29yRA=="));  // bob:p:ss worD
  EXPECT_FALSE(Ok(auth, "Basic Ym9iOnA6c3Mgd29y"));      // bob:p:ss wor
}

TEST(BasicAuthTest, NoUsersMeansNoAuth) {
  BasicAuth auth(std::map<std::string, std::string>{});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(Ok(auth, nullptr));
}

TEST(BasicAuthTest, ConcurrentChecks) {
  AuthThrottle::Options unthrottled;
  unthrottled.max_failures = 1 << 30;
  BasicAuth auth(std::map<std::string, std::string>{{"bob", kBobHash}},
                 unthrottled);
  const std::string good = Header("Ym9iOnA6c3Mgd29yZA==");
  std::atomic<int> ok{0}, rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        if (Ok(auth, good.c_str())) ++ok;
        if (t % 2 == 0 && !Ok(auth, "Basic Ym9iOng=")) ++rejected;  // bob:x
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 8 * 40);
  EXPECT_EQ(rejected.load(), 4 * 40);
  EXPECT_GE(auth.cache_hits(), 8u * 40 - 8);
}

TEST(BasicAuthTest, WrongPasswordsThrottleTheirSourceOnly) {
  BasicAuth auth(std::map<std::string, std::string>{{"bob", kBobHash}});
  const std::string good = Header("Ym9iOnA6c3Mgd29yZA==");
  const char kWrong[] = "Basic Ym9iOng=";  // bob:x
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(auth.Check(kWrong, "198.51.100.9").result, AuthDecision::kDenied);
  }
  // The eleventh attempt costs no bcrypt and is refused, right password or not
  // (the success cache must not answer guesses either).
  AuthDecision d = auth.Check(kWrong, "198.51.100.9");
  EXPECT_EQ(d.result, AuthDecision::kThrottled);
  EXPECT_GE(d.retry_after, 59);
  EXPECT_LE(d.retry_after, 60);
  EXPECT_EQ(auth.Check(good.c_str(), "198.51.100.9").result,
            AuthDecision::kThrottled);
  EXPECT_EQ(auth.Check(nullptr, "198.51.100.9").result,
            AuthDecision::kThrottled);
  // Other sources are not affected.
  EXPECT_TRUE(Ok(auth, good.c_str(), "192.0.2.1"));
  EXPECT_TRUE(Ok(auth, good.c_str(), "192.0.2.2"));
}

TEST(BasicAuthTest, MissingOrMalformedHeadersAreNotFailures) {
  BasicAuth auth(std::map<std::string, std::string>{{"bob", kBobHash}});
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(auth.Check(nullptr, "192.0.2.1").result, AuthDecision::kDenied);
    EXPECT_EQ(auth.Check("Bearer x", "192.0.2.1").result,
              AuthDecision::kDenied);
  }
  EXPECT_TRUE(Ok(auth, Header("Ym9iOnA6c3Mgd29yZA==").c_str(), "192.0.2.1"));
}

}  // namespace
}  // namespace mailflow
