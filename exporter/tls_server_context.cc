// NewTlsServerContext: the OpenSSL server context a web config asks for.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "exporter/web_config.h"
#include "lib/base/str_join.h"

namespace mailflow {

namespace {

// "what: reason" from OpenSSL's first queued error; clears the queue.
std::string OpenSslError(const std::string& what) {
  const unsigned long e = ERR_peek_error();
  const char* reason = e == 0                ? nullptr
                       : ERR_SYSTEM_ERROR(e) ? std::strerror(ERR_GET_REASON(e))
                                             : ERR_reason_error_string(e);
  ERR_clear_error();
  return reason ? what + ": " + reason : what;
}

// RequestClientCert and RequireAnyClientCert take any certificate.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

ssl_ctx_st* NewTlsServerContext(const TlsServerConfig& tls, std::string* err) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    *err = OpenSslError("cannot create a TLS context");
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
    *err = OpenSslError("cannot load cert_file " + tls.cert_file);
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    *err = OpenSslError("cannot load key_file " + tls.key_file);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    *err = OpenSslError("key_file " + tls.key_file +
                        " does not match cert_file " + tls.cert_file);
    return nullptr;
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, tls.client_ca_file.c_str(), nullptr) !=
        1) {
      *err = OpenSslError("cannot load client_ca_file " + tls.client_ca_file);
      return nullptr;
    }
    // The CA names sent in the CertificateRequest.
    SSL_CTX_set_client_CA_list(
        c, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  // Go's tls.ClientAuthType in OpenSSL terms: whether a certificate is asked
  // for, required, and checked against client_ca_file.
  const ClientAuth a = tls.client_auth;
  const bool require = a == ClientAuth::kRequireAnyClientCert ||
                       a == ClientAuth::kRequireAndVerifyClientCert;
  const bool any = a == ClientAuth::kRequestClientCert ||
                   a == ClientAuth::kRequireAnyClientCert;
  SSL_CTX_set_verify(
      c,
      (a == ClientAuth::kNoClientCert ? SSL_VERIFY_NONE : SSL_VERIFY_PEER) |
          (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
      any ? AcceptAnyCertificate : nullptr);
  if ((tls.min_version && !SSL_CTX_set_min_proto_version(c, tls.min_version)) ||
      (tls.max_version && !SSL_CTX_set_max_proto_version(c, tls.max_version))) {
    *err = OpenSslError("cannot set the TLS versions");
    return nullptr;
  }
  if (!tls.cipher_suites.empty() &&
      SSL_CTX_set_cipher_list(c, StrJoin(tls.cipher_suites, ":").c_str()) !=
          1) {
    *err = OpenSslError("cannot set cipher_suites");
    return nullptr;
  }
  if (!tls.curves.empty() &&
      SSL_CTX_set1_groups_list(c, StrJoin(tls.curves, ":").c_str()) != 1) {
    *err = OpenSslError("cannot set curve_preferences");
    return nullptr;
  }
  if (tls.prefer_server_cipher_suites) {
    SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // civetweb serves one context; a session id context lets clients resume.
  static const unsigned char kSessionId[] = "mailflow_exporter";
  SSL_CTX_set_session_id_context(c, kSessionId, sizeof(kSessionId) - 1);
  return ctx.release();
}

}  // namespace mailflow
