// WebConfig: the --web.config.file of Prometheus exporters (exporter-toolkit
// format, docs/web-configuration.md there): TLS, extra response headers and
// basic-auth users for every HTTP endpoint.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

struct ssl_ctx_st;

namespace mailflow {

/// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType).
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

struct TlsServerConfig {
  /// Paths; relative ones are resolved against the web config's directory.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  /// OpenSSL protocol versions (TLS1_2_VERSION, TLS1_3_VERSION); 0 = no cap.
  int min_version = 0;
  int max_version = 0;
  /// OpenSSL names of the TLS 1.2 cipher suites; empty: OpenSSL's default.
  std::vector<std::string> cipher_suites;
  bool prefer_server_cipher_suites = true;
  /// OpenSSL group names ("P-256", "X25519"); empty: OpenSSL's default.
  std::vector<std::string> curves;
};

struct WebConfig {
  std::string source;
  /// False when tls_server_config is absent or empty: plain HTTP (with basic
  /// auth and headers if configured), as exporter-toolkit does.
  bool tls_enabled = false;
  TlsServerConfig tls;
  /// Extra response headers, in file order.
  std::vector<std::pair<std::string, std::string>> headers;
  /// User name -> bcrypt hash ($2a$, $2b$ or $2y$).
  std::map<std::string, std::string> basic_auth_users;
};

/// Parses a web config document. `source` names it in errors
/// ("FILE:LINE:COLUMN: message") and its directory anchors relative paths.
/// Checks cipher suite names against this OpenSSL but reads no files.
bool ParseWebConfig(const std::string& text, const std::string& source,
                    WebConfig* out, std::string* err);

/// Reads and parses a file, then loads its certificate, key and CA files
/// once (NewTlsServerContext) so that a bad one fails here.
bool LoadWebConfigFile(const std::string& path, WebConfig* out,
                       std::string* err);

/// A new OpenSSL server context for `tls`: certificate chain, key, client
/// certificate policy, protocol versions, ciphers. nullptr with `*err` on
/// failure. The caller frees it with SSL_CTX_free.
ssl_ctx_st* NewTlsServerContext(const TlsServerConfig& tls, std::string* err);

}  // namespace mailflow
