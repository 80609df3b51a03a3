#include "exporter/web_config.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace mailflow {
namespace {

// The error of parsing `text` as "w.yml" (empty when it parses).
std::string ErrorOf(const std::string& text) {
  WebConfig c;
  std::string err;
  if (ParseWebConfig(text, "w.yml", &c, &err)) return "";
  return err;
}

struct ErrorCase {
  std::string yaml;
  std::string error;
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases)
    EXPECT_EQ(ErrorOf(c.yaml), c.error) << c.yaml;
}

const char kHash[] =
    "$2y$04$kHWkpB2izAY06HxqiNd8..2EReSIEk7WXucQF96VYO4QGnY1q2GR2";

TEST(WebConfigTest, FullExample) {
  WebConfig c;
  std::string err;
  ASSERT_TRUE(
      ParseWebConfig("tls_server_config:\n"
                     "  cert_file: server.crt\n"
                     "  key_file: /abs/server.key\n"
                     "  client_auth_type: RequireAndVerifyClientCert\n"
                     "  client_ca_file: ca.crt\n"
                     "  min_version: TLS13\n"
                     "  max_version: TLS13\n"
                     "  cipher_suites:\n"
                     "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                     "    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305\n"
                     "  prefer_server_cipher_suites: false\n"
                     "  curve_preferences: [X25519, CurveP256]\n"
                     "http_server_config:\n"
                     "  http2: false\n"
                     "  headers:\n"
                     "    Strict-Transport-Security: max-age=31536000\n"
                     "    X-Frame-Options: deny\n"
                     "basic_auth_users:\n"
                     "  bob: " +
                         std::string(kHash) + "\n",
                     "/etc/mailflow/web.yml", &c, &err))
      << err;
  EXPECT_EQ(c.source, "/etc/mailflow/web.yml");
  EXPECT_TRUE(c.tls_enabled);
  EXPECT_EQ(c.tls.cert_file, "/etc/mailflow/server.crt");
  EXPECT_EQ(c.tls.key_file, "/abs/server.key");
  EXPECT_EQ(c.tls.client_ca_file, "/etc/mailflow/ca.crt");
  EXPECT_EQ(c.tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c.tls.min_version, TLS1_3_VERSION);
  EXPECT_EQ(c.tls.max_version, TLS1_3_VERSION);
  EXPECT_EQ(c.tls.cipher_suites,
            (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256",
                                      "ECDHE-ECDSA-CHACHA20-POLY1305"}));
  EXPECT_FALSE(c.tls.prefer_server_cipher_suites);
  EXPECT_EQ(c.tls.curves, (std::vector<std::string>{"X25519", "P-256"}));
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].first, "Strict-Transport-Security");
  EXPECT_EQ(c.headers[0].second, "max-age=31536000");
  EXPECT_EQ(c.headers[1].first, "X-Frame-Options");
  EXPECT_EQ(c.basic_auth_users.at("bob"), kHash);
}

TEST(WebConfigTest, DefaultsAndPlainHttp) {
  WebConfig c;
  std::string err;
  // Empty file: nothing enabled.
  ASSERT_TRUE(ParseWebConfig("", "w.yml", &c, &err)) << err;
  EXPECT_FALSE(c.tls_enabled);
  EXPECT_TRUE(c.basic_auth_users.empty());
  // Basic auth without TLS, and a tls_server_config without certificate,
  // key or client policy (exporter-toolkit: TLS disabled).
  ASSERT_TRUE(
      ParseWebConfig("tls_server_config:\n  min_version: TLS13\n"
                     "basic_auth_users:\n  bob: '" +
                         std::string(kHash) + "'\n",
                     "w.yml", &c, &err))
      << err;
  EXPECT_FALSE(c.tls_enabled);
  EXPECT_EQ(c.basic_auth_users.size(), 1u);
  // TLS defaults: TLS 1.2 minimum, no client certificate, server order.
  ASSERT_TRUE(ParseWebConfig(
      "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n", "w.yml",
      &c, &err))
      << err;
  EXPECT_TRUE(c.tls_enabled);
  EXPECT_EQ(c.tls.cert_file, "c.pem");  // no directory in the source name
  EXPECT_EQ(c.tls.min_version, TLS1_2_VERSION);
  EXPECT_EQ(c.tls.max_version, 0);
  EXPECT_EQ(c.tls.client_auth, ClientAuth::kNoClientCert);
  EXPECT_TRUE(c.tls.prefer_server_cipher_suites);
}

TEST(WebConfigTest, StructureErrors) {
  ExpectErrors({
      {"tls_config:\n  cert_file: a\n",
       "w.yml:1:1: unknown key \"tls_config\""},
      {"tls_server_config:\n  cert_file: a\n  certfile: b\n",
       "w.yml:3:3: unknown key \"certfile\""},
      {"basic_auth_users:\n  bob: x\n  bob: y\n",
       "w.yml:3:3: duplicate key \"bob\""},
      {"tls_server_config: [a]\n",
       "w.yml:1:20: \"tls_server_config\" must be a mapping"},
      {"http_server_config:\n  http2: maybe\n",
       "w.yml:2:10: \"http2\" must be true or false"},
      {"- a\n", "w.yml:1:1: the configuration must be a mapping"},
  });
}

TEST(WebConfigTest, TlsErrors) {
  const std::string tls = "tls_server_config:\n  cert_file: c\n  key_file: k\n";
  ExpectErrors({
      {"tls_server_config:\n  cert_file: c\n",
       "w.yml:2:3: \"key_file\" is required in tls_server_config"},
      {"tls_server_config:\n  key_file: k\n",
       "w.yml:2:3: \"cert_file\" is required in tls_server_config"},
      {"tls_server_config:\n  cert: |\n    PEM\n",
       "w.yml:2:3: \"cert\" is not supported by mailflow_exporter; use "
       "\"cert_file\""},
      {tls + "  client_allowed_sans: [a]\n",
       "w.yml:4:3: \"client_allowed_sans\" is not supported by "
       "mailflow_exporter"},
      {tls + "  client_auth_type: RequireClientCert\n",
       "w.yml:4:3: \"client_auth_type\" must be one of NoClientCert, "
       "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
       "RequireAndVerifyClientCert, not \"RequireClientCert\""},
      {tls + "  client_auth_type: VerifyClientCertIfGiven\n",
       "w.yml:4:3: client_auth_type VerifyClientCertIfGiven needs "
       "\"client_ca_file\""},
      {tls + "  client_ca_file: ca.pem\n",
       "w.yml:4:3: \"client_ca_file\" needs client_auth_type "
       "VerifyClientCertIfGiven or RequireAndVerifyClientCert"},
      {tls + "  min_version: TLS11\n",
       "w.yml:4:3: \"min_version\" must be one of TLS12, TLS13, not "
       "\"TLS11\""},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n",
       "w.yml:5:3: \"max_version\" is below \"min_version\""},
      {tls + "  cipher_suites: [TLS_NOPE]\n",
       "w.yml:4:3: unknown cipher suite \"TLS_NOPE\""},
      {tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "w.yml:4:3: \"TLS_AES_128_GCM_SHA256\" is a TLS 1.3 suite; only "
       "TLS 1.2 suites can be configured (as in exporter-toolkit)"},
      {tls + "  cipher_suites: TLS_AES_128_GCM_SHA256\n",
       "w.yml:4:18: \"cipher_suites\" must be a list"},
      {tls + "  curve_preferences: [P-256]\n",
       "w.yml:4:3: unknown curve \"P-256\" (CurveP256, CurveP384, "
       "CurveP521 or X25519)"},
  });
}

TEST(WebConfigTest, HeaderErrors) {
  ExpectErrors({
      {"http_server_config:\n  headers:\n    Server: x\n",
       "w.yml:3:5: header \"Server\" can not be configured (one of "
       "Strict-Transport-Security, X-Content-Type-Options, "
       "X-Frame-Options, X-XSS-Protection, Content-Security-Policy)"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "w.yml:3:5: header \"X-Frame-Options\" must be deny or sameorigin, not "
       "\"allow\""},
      {"http_server_config:\n  headers:\n"
       "    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
       "w.yml:3:5: header \"Content-Security-Policy\" must not contain "
       "control characters"},
      {"http_server_config:\n  headers: [a]\n",
       "w.yml:2:12: \"headers\" must be a mapping"},
  });
}

TEST(WebConfigTest, UserErrors) {
  // A SHA-512 crypt hash is not bcrypt.
  EXPECT_EQ(ErrorOf("basic_auth_users:\n  bob: $6$salt$abc\n"),
            "w.yml:2:3: the password of \"bob\" must be a bcrypt hash ($2a$, "
            "$2b$ or $2y$, as made by htpasswd -nB)");
  ExpectErrors({
      {"basic_auth_users:\n  bob: secret\n",
       "w.yml:2:3: the password of \"bob\" must be a bcrypt hash ($2a$, "
       "$2b$ or $2y$, as made by htpasswd -nB)"},
      {"basic_auth_users:\n  \"a:b\": '" + std::string(kHash) + "'\n",
       "w.yml:2:3: user name \"a:b\" must be non-empty and contain no ':'"},
      {"basic_auth_users:\n  bob: [x]\n",
       "w.yml:2:8: \"bob\" must be a string"},
  });
}

// A temp dir with a self-signed EC certificate and key, plus a second key.
class TlsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "mailflow-webcfg-" +
           std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0) << dir_;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    EVP_PKEY* other = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_ASC,
        reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
    Write("cert.pem", [&](FILE* f) { PEM_write_X509(f, cert); });
    Write("key.pem", [&](FILE* f) {
      PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    });
    Write("other.pem", [&](FILE* f) {
      PEM_write_PrivateKey(f, other, nullptr, nullptr, 0, nullptr, nullptr);
    });
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
  }
  void TearDown() override {
    for (const char* f : {"cert.pem", "key.pem", "other.pem", "web.yml"}) {
      unlink((dir_ + "/" + f).c_str());
    }
    rmdir(dir_.c_str());
  }
  template <typename F>
  void Write(const char* name, F f) {
    FILE* out = std::fopen((dir_ + "/" + name).c_str(), "w");
    ASSERT_NE(out, nullptr);
    f(out);
    std::fclose(out);
  }
  // Writes web.yml and loads it.
  bool Load(const std::string& text, WebConfig* c, std::string* err) {
    std::ofstream(dir_ + "/web.yml") << text;
    return LoadWebConfigFile(dir_ + "/web.yml", c, err);
  }
  std::string dir_;
};

TEST_F(TlsFiles, LoadsRelativeCertificateAndKey) {
  WebConfig c;
  std::string err;
  ASSERT_TRUE(
      Load("tls_server_config:\n  cert_file: cert.pem\n"
           "  key_file: key.pem\n",
           &c, &err))
      << err;
  EXPECT_EQ(c.tls.cert_file, dir_ + "/cert.pem");
}

TEST_F(TlsFiles, ClientAuthTypesSetTheVerifyMode) {
  struct Case {
    const char* type;
    int mode;
  } cases[] = {
      {"NoClientCert", SSL_VERIFY_NONE},
      {"RequestClientCert", SSL_VERIFY_PEER},
      {"RequireAnyClientCert",
       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
      {"VerifyClientCertIfGiven", SSL_VERIFY_PEER},
      {"RequireAndVerifyClientCert",
       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
  };
  for (const Case& k : cases) {
    const std::string type = k.type;
    const bool verifies = type.find("Verify") != std::string::npos;
    WebConfig c;
    std::string err;
    ASSERT_TRUE(
        Load("tls_server_config:\n  cert_file: cert.pem\n"
             "  key_file: key.pem\n  client_auth_type: " +
                 type + "\n" + (verifies ? "  client_ca_file: cert.pem\n" : ""),
             &c, &err))
        << type << ": " << err;
    SSL_CTX* ctx = NewTlsServerContext(c.tls, &err);
    ASSERT_NE(ctx, nullptr) << err;
    EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), k.mode) << type;
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    SSL_CTX_free(ctx);
  }
}

TEST_F(TlsFiles, FileErrorsNameTheFile) {
  const std::string web = dir_ + "/web.yml";
  auto error_of = [&](const std::string& cert, const std::string& key) {
    WebConfig c;
    std::string err;
    EXPECT_FALSE(Load("tls_server_config:\n  cert_file: " + cert +
                          "\n  key_file: " + key + "\n",
                      &c, &err));
    return err;
  };
  EXPECT_EQ(error_of("missing.pem", "key.pem"),
            web + ": cannot load cert_file " + dir_ +
                "/missing.pem: No such file or directory");
  EXPECT_EQ(error_of("cert.pem", "other.pem"),
            web + ": cannot load key_file " + dir_ +
                "/other.pem: key values mismatch");
  WebConfig c;
  std::string err;
  EXPECT_FALSE(LoadWebConfigFile(dir_ + "/nope.yml", &c, &err));
  EXPECT_EQ(err, dir_ + "/nope.yml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace mailflow
