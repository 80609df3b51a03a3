#include "exporter/tls_context_switch.h"

#include <openssl/ssl.h>

#include "lib/base/str_join.h"

namespace mailflow {

struct TlsContextSwitch::Current {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{nullptr, SSL_CTX_free};
  std::string ciphers;  // OpenSSL list syntax; empty: the default
  std::string groups;
};

namespace {

int ClientHello(SSL* ssl, int* alert, void* arg) {
  const auto* self = static_cast<const TlsContextSwitch*>(arg);
  // Called again after a HelloRetryRequest: the connection has switched.
  if (SSL_get_SSL_CTX(ssl) != self->base() || self->Switch(ssl)) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  *alert = SSL_AD_INTERNAL_ERROR;
  return SSL_CLIENT_HELLO_ERROR;
}

}  // namespace

TlsContextSwitch::TlsContextSwitch() : base_(SSL_CTX_new(TLS_server_method())) {
  if (base_) SSL_CTX_set_client_hello_cb(base_, ClientHello, this);
}

TlsContextSwitch::~TlsContextSwitch() {
  if (base_) SSL_CTX_free(base_);
}

bool TlsContextSwitch::Replace(const TlsServerConfig& tls, std::string* err) {
  if (!base_) {
    *err = "cannot create a TLS context";
    return false;
  }
  auto next = std::make_shared<Current>();
  next->ctx.reset(NewTlsServerContext(tls, err));
  if (!next->ctx) return false;
  next->ciphers = StrJoin(tls.cipher_suites, ":");
  next->groups = StrJoin(tls.curves, ":");
  std::lock_guard<std::mutex> lock(mu_);
  // A session of one context never resumes on another: the session id
  // context differs (SSL_set_SSL_CTX takes it from the new context).
  const std::string sid = "mailflow_exporter/" + std::to_string(generation_);
  SSL_CTX_set_session_id_context(
      next->ctx.get(), reinterpret_cast<const unsigned char*>(sid.data()),
      sid.size());
  current_ = std::move(next);
  ++generation_;
  return true;  // connections using the old context keep it alive
}

uint64_t TlsContextSwitch::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool TlsContextSwitch::Switch(SSL* ssl) const {
  std::shared_ptr<const Current> cur;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cur = current_;
  }
  if (!cur) return false;
  SSL_CTX* ctx = cur->ctx.get();
  if (SSL_set_SSL_CTX(ssl, ctx) != ctx) return false;
  // SSL_new copied these from base(), which has OpenSSL's defaults.
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx),
                 SSL_CTX_get_verify_callback(ctx));
  SSL_set_options(ssl, SSL_CTX_get_options(ctx));
  return SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx)) &&
         SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx)) &&
         (cur->ciphers.empty() ||
          SSL_set_cipher_list(ssl, cur->ciphers.c_str()) == 1) &&
         (cur->groups.empty() ||
          SSL_set1_groups_list(ssl, cur->groups.c_str()) == 1);
}

}  // namespace mailflow
