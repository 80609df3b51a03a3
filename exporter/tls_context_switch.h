// TlsContextSwitch: lets a reload change the certificate, key and TLS
// settings of a running server whose TLS library keeps the SSL_CTX it was
// given once (civetweb's external_ssl_ctx).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "exporter/web_config.h"

struct ssl_st;

namespace mailflow {

/// civetweb creates every connection from base(), a context with OpenSSL's
/// defaults and no certificate. Its client hello callback, the first thing
/// of each handshake, moves the connection to the current context
/// (SSL_set_SSL_CTX: certificate chain, key, client CA list and verify
/// store, TLS 1.2 ciphers) and applies what SSL_new copied from base() for
/// good: verify mode and callback, min/max protocol version, options,
/// curve_preferences and cipher_suites. So a Replace() applies every field
/// of tls_server_config to new handshakes; established connections keep
/// theirs. A connection holds a reference to its context: the old one is
/// freed with its last connection. Sessions are bound to one context
/// (generation-specific session id context): none resumes across a reload.
/// Thread-safe.
class TlsContextSwitch {
 public:
  TlsContextSwitch();
  ~TlsContextSwitch();
  TlsContextSwitch(const TlsContextSwitch&) = delete;
  TlsContextSwitch& operator=(const TlsContextSwitch&) = delete;

  /// Builds the context of `tls` (NewTlsServerContext) and makes it the
  /// current one. On failure nothing changes and `*err` says why.
  bool Replace(const TlsServerConfig& tls, std::string* err);

  /// The context to give civetweb; owned by this object. nullptr when the
  /// base context could not be created (Replace() fails then too).
  ssl_ctx_st* base() const { return base_; }

  /// How many contexts Replace() has installed.
  uint64_t generation() const;

  /// What the client hello callback does, for a connection created from
  /// base(); false if no context is installed or OpenSSL refused a setting.
  bool Switch(ssl_st* ssl) const;

 private:
  struct Current;
  ssl_ctx_st* base_ = nullptr;
  mutable std::mutex mu_;  // guards current_ and generation_
  std::shared_ptr<const Current> current_;
  uint64_t generation_ = 0;
};

}  // namespace mailflow
