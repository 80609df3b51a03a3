#include "exporter/web_config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <memory>

#include "config/config_map.h"
#include "lib/base/quoted.h"

namespace mailflow {

namespace {

bool Fail(std::string* err, const std::string& where, const std::string& msg) {
  *err = where + ": " + msg;
  return false;
}

struct NamedValue {
  const char* name;
  int value;
};

constexpr std::array<NamedValue, 5> kClientAuthTypes = {{
    {"NoClientCert", static_cast<int>(ClientAuth::kNoClientCert)},
    {"RequestClientCert", static_cast<int>(ClientAuth::kRequestClientCert)},
    {"RequireAnyClientCert",
     static_cast<int>(ClientAuth::kRequireAnyClientCert)},
    {"VerifyClientCertIfGiven",
     static_cast<int>(ClientAuth::kVerifyClientCertIfGiven)},
    {"RequireAndVerifyClientCert",
     static_cast<int>(ClientAuth::kRequireAndVerifyClientCert)},
}};

// TLS10/TLS11 are refused: OpenSSL 3's default security level disables them.
constexpr std::array<NamedValue, 2> kTlsVersions = {{
    {"TLS12", TLS1_2_VERSION},
    {"TLS13", TLS1_3_VERSION},
}};

// Go's curve names (exporter-toolkit's curve_preferences) -> OpenSSL groups.
constexpr std::array<std::pair<const char*, const char*>, 4> kCurves = {{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

// Looks `name` up in `table`; on failure, an error listing the choices.
template <size_t N>
bool Lookup(const std::array<NamedValue, N>& table, const ConfigMap& m,
            const char* key, const std::string& name, int* out,
            std::string* err) {
  std::string choices;
  for (const NamedValue& nv : table) {
    if (name == nv.name) {
      *out = nv.value;
      return true;
    }
    choices += std::string(choices.empty() ? "" : ", ") + nv.name;
  }
  return Fail(
      err, m.Where(key),
      Quoted(key) + " must be one of " + choices + ", not " + Quoted(name));
}

// Maps IANA/Go cipher suite names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) to
// OpenSSL's (ECDHE-RSA-AES128-GCM-SHA256).
bool MapCipherSuites(const ConfigMap& m, const std::vector<std::string>& names,
                     std::vector<std::string>* out, std::string* err) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(
      SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx || !SSL_CTX_set_cipher_list(ctx.get(), "ALL:COMPLEMENTOFALL")) {
    return Fail(err, m.Where("cipher_suites"),
                "cannot list OpenSSL's cipher suites");
  }
  STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(ctx.get());
  for (const std::string& name : names) {
    const SSL_CIPHER* found = nullptr;
    for (int i = 0; i < sk_SSL_CIPHER_num(all) && !found; ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
      const char* standard = SSL_CIPHER_standard_name(c);
      // Go also knows the ChaCha20 suites without their "_SHA256" suffix.
      if (standard && (name == standard || name + "_SHA256" == standard)) {
        found = c;
      }
    }
    if (!found) {
      return Fail(err, m.Where("cipher_suites"),
                  "unknown cipher suite " + Quoted(name));
    }
    if (std::string(SSL_CIPHER_get_version(found)) == "TLSv1.3") {
      return Fail(err, m.Where("cipher_suites"),
                  Quoted(name) +
                      " is a TLS 1.3 suite; only TLS 1.2 suites can be "
                      "configured (as in exporter-toolkit)");
    }
    out->push_back(SSL_CIPHER_get_name(found));
  }
  return true;
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty()) return path;
  return dir + "/" + path;
}

bool ParseTls(ConfigMap m, const std::string& dir, WebConfig* c,
              std::string* err) {
  // exporter-toolkit keys this build does not implement: say so.
  static const std::array<std::pair<const char*, const char*>, 3> kUnsupported =
      {{{"cert", "; use \"cert_file\""},
        {"key", "; use \"key_file\""},
        {"client_allowed_sans", ""}}};
  for (const auto& [key, hint] : kUnsupported) {
    if (m.Has(key)) {
      return Fail(
          err, m.Where(key),
          Quoted(key) + " is not supported by mailflow_exporter" + hint);
    }
  }
  TlsServerConfig& t = c->tls;
  std::string client_auth, min_version, max_version;
  std::vector<std::string> ciphers, curves;
  if (!m.GetString("cert_file", &t.cert_file, err) ||
      !m.GetString("key_file", &t.key_file, err) ||
      !m.GetString("client_ca_file", &t.client_ca_file, err) ||
      !m.GetString("client_auth_type", &client_auth, err) ||
      !m.GetString("min_version", &min_version, err) ||
      !m.GetString("max_version", &max_version, err) ||
      !m.GetStringList("cipher_suites", &ciphers, err) ||
      !m.GetBool("prefer_server_cipher_suites", &t.prefer_server_cipher_suites,
                 err) ||
      !m.GetStringList("curve_preferences", &curves, err) || !m.Finish(err)) {
    return false;
  }
  // Like exporter-toolkit: no certificate, key or client policy means no TLS.
  if (t.cert_file.empty() && t.key_file.empty() && t.client_ca_file.empty() &&
      client_auth.empty()) {
    return true;
  }
  c->tls_enabled = true;
  const std::string where = m.Where();
  if (t.cert_file.empty()) {
    return Fail(err, where, "\"cert_file\" is required in tls_server_config");
  }
  if (t.key_file.empty()) {
    return Fail(err, where, "\"key_file\" is required in tls_server_config");
  }
  int value = 0;
  if (!client_auth.empty()) {
    if (!Lookup(kClientAuthTypes, m, "client_auth_type", client_auth, &value,
                err)) {
      return false;
    }
    t.client_auth = static_cast<ClientAuth>(value);
  }
  const bool verifies =
      t.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
      t.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && t.client_ca_file.empty()) {
    return Fail(
        err, m.Where("client_auth_type"),
        "client_auth_type " + client_auth + " needs \"client_ca_file\"");
  }
  if (!verifies && !t.client_ca_file.empty()) {
    return Fail(err, m.Where("client_ca_file"),
                "\"client_ca_file\" needs client_auth_type "
                "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
  }
  t.min_version = TLS1_2_VERSION;  // exporter-toolkit's default
  if (!min_version.empty() && !Lookup(kTlsVersions, m, "min_version",
                                      min_version, &t.min_version, err)) {
    return false;
  }
  if (!max_version.empty() && !Lookup(kTlsVersions, m, "max_version",
                                      max_version, &t.max_version, err)) {
    return false;
  }
  if (t.max_version != 0 && t.max_version < t.min_version) {
    return Fail(err, m.Where("max_version"),
                "\"max_version\" is below \"min_version\"");
  }
  if (!MapCipherSuites(m, ciphers, &t.cipher_suites, err)) return false;
  for (const std::string& curve : curves) {
    const char* group = nullptr;
    for (const auto& [go, openssl] : kCurves) {
      if (curve == go) group = openssl;
    }
    if (!group) {
      return Fail(err, m.Where("curve_preferences"),
                  "unknown curve " + Quoted(curve) +
                      " (CurveP256, CurveP384, CurveP521 or X25519)");
    }
    t.curves.push_back(group);
  }
  t.cert_file = Resolve(dir, t.cert_file);
  t.key_file = Resolve(dir, t.key_file);
  t.client_ca_file = Resolve(dir, t.client_ca_file);
  return true;
}

// exporter-toolkit's allowlist of extra headers and their allowed values.
struct AllowedHeader {
  const char* name;
  std::vector<const char*> values;  // empty: any value
};
const std::array<AllowedHeader, 5>& AllowedHeaders() {
  static const std::array<AllowedHeader, 5> kAllowed = {{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  }};
  return kAllowed;
}

bool ParseHttp(ConfigMap m, WebConfig* c, std::string* err) {
  ConfigMap headers;
  bool http2 = true;  // accepted for compatibility; civetweb serves HTTP/1.1
  if (!m.GetMap("headers", &headers, err) || !m.GetBool("http2", &http2, err) ||
      !m.Finish(err)) {
    return false;
  }
  for (const std::string& name : headers.Keys()) {
    std::string value;
    if (!headers.GetString(name, &value, err)) return false;
    const AllowedHeader* allowed = nullptr;
    std::string names;
    for (const AllowedHeader& h : AllowedHeaders()) {
      if (name == h.name) allowed = &h;
      names += std::string(names.empty() ? "" : ", ") + h.name;
    }
    if (!allowed) {
      return Fail(err, headers.Where(name),
                  "header " + Quoted(name) + " can not be configured (one of " +
                      names + ")");
    }
    bool ok = allowed->values.empty();
    std::string values;
    for (const char* v : allowed->values) {
      ok = ok || value == v;
      values += std::string(values.empty() ? "" : " or ") + v;
    }
    if (!ok) {
      return Fail(err, headers.Where(name),
                  "header " + Quoted(name) + " must be " + values + ", not " +
                      Quoted(value));
    }
    for (char ch : value) {
      if ((ch >= 0 && ch < 0x20 && ch != '\t') || ch == 0x7f) {
        return Fail(
            err, headers.Where(name),
            "header " + Quoted(name) + " must not contain control characters");
      }
    }
    c->headers.emplace_back(name, value);
  }
  return true;
}

// "$2b$10$" + 53 characters of bcrypt's base64 alphabet.
bool IsBcryptHash(const std::string& h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' ||
      h[6] != '$') {
    return false;
  }
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (size_t i = 7; i < h.size(); ++i) {
    const char ch = h[i];
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '/';
    if (!ok) return false;
  }
  return true;
}

bool ParseUsers(ConfigMap m, WebConfig* c, std::string* err) {
  for (const std::string& user : m.Keys()) {
    std::string hash;
    if (!m.GetString(user, &hash, err)) return false;
    if (user.empty() || user.find(':') != std::string::npos) {
      return Fail(err, m.Where(user),
                  "user name " + Quoted(user) +
                      " must be non-empty and contain no ':'");
    }
    if (!IsBcryptHash(hash)) {
      return Fail(err, m.Where(user),
                  "the password of " + Quoted(user) +
                      " must be a bcrypt hash ($2a$, $2b$ or $2y$, as made "
                      "by htpasswd -nB)");
    }
    c->basic_auth_users[user] = hash;
  }
  return true;
}

}  // namespace

bool ParseWebConfig(const std::string& text, const std::string& source,
                    WebConfig* out, std::string* err) {
  ConfigMap root, tls, http, users;
  if (!ConfigMap::Parse(text, source, &root, err)) return false;
  WebConfig c;
  c.source = source;
  const auto slash = source.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : source.substr(0, slash);
  if (!root.GetMap("tls_server_config", &tls, err) ||
      !ParseTls(tls, dir, &c, err) ||
      !root.GetMap("http_server_config", &http, err) ||
      !ParseHttp(http, &c, err) ||
      !root.GetMap("basic_auth_users", &users, err) ||
      !ParseUsers(users, &c, err) || !root.Finish(err)) {
    return false;
  }
  *out = std::move(c);
  return true;
}

bool LoadWebConfigFile(const std::string& path, WebConfig* out,
                       std::string* err) {
  std::string text;
  if (!ReadConfigFile(path, &text, err) ||
      !ParseWebConfig(text, path, out, err)) {
    return false;
  }
  if (!out->tls_enabled) return true;
  SSL_CTX* ctx = NewTlsServerContext(out->tls, err);
  if (!ctx) {
    *err = path + ": " + *err;
    return false;
  }
  SSL_CTX_free(ctx);
  return true;
}

}  // namespace mailflow
