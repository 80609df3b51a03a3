// BasicAuth: HTTP basic authentication against bcrypt hashes (the
// basic_auth_users of --web.config.file). civetweb only does digest auth.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/auth_throttle.h"

namespace mailflow {

/// Splits an "Authorization: Basic BASE64(user:password)" header value.
/// Returns false for any other scheme or malformed base64.
bool ParseBasicAuthorization(std::string_view header, std::string* user,
                             std::string* password);

/// exporter-toolkit's stand-in hash checked for unknown users (bcrypt of
/// "fakepassword"), so they cost as much time as known ones.
extern const char kBasicAuthDummyHash[];

/// Whether `password` matches a bcrypt `hash` ($2a$/$2b$/$2y$), by crypt_r()
/// of libxcrypt; the comparison takes constant time.
bool VerifyBcrypt(const std::string& password, const std::string& hash);

/// The verdict on one request's credentials.
struct AuthDecision {
  enum Result {
    kOk,
    kDenied,     // 401: no, malformed or wrong credentials
    kThrottled,  // 429: too many failures from the source, or too busy
  } result = kDenied;
  int retry_after = 0;  // seconds, with kThrottled
};

/// Checks credentials of requests. Verifying bcrypt is deliberately slow
/// (tens of ms at cost 10), so a success is remembered as an HMAC-SHA256 of
/// user, hash and password under a per-process random key, as
/// exporter-toolkit caches too; the cache is searched in constant time.
/// Unknown users cost a bcrypt verification as well (no user enumeration by
/// timing). Verifications go through an AuthThrottle: a few at a time, one
/// per source address, and none for a source with repeated failures, so
/// that a wrong-password flood cannot delay other clients' logins.
/// Thread-safe.
class BasicAuth {
 public:
  /// `users`: user name -> bcrypt hash. Empty: every request passes.
  explicit BasicAuth(std::map<std::string, std::string> users,
                     AuthThrottle::Options throttle = {});

  bool enabled() const { return !users_.empty(); }
  /// `authorization`: the request's Authorization header, or nullptr;
  /// `source`: the client's address (throttling key).
  AuthDecision Check(const char* authorization, std::string_view source);

  /// Successful verifications served from the cache (for tests).
  uint64_t cache_hits() const;

  static constexpr size_t kCacheSize = 256;

 private:
  using Digest = std::array<unsigned char, 32>;
  Digest Key(const std::string& user, const std::string& hash,
             const std::string& password) const;
  bool Cached(const Digest& d) const;  // requires mu_

  const std::map<std::string, std::string> users_;
  std::array<unsigned char, 32> hmac_key_{};
  bool cache_enabled_ = false;
  mutable std::mutex mu_;  // guards cache_, next_, hits_
  std::vector<Digest> cache_;
  size_t next_ = 0;
  uint64_t hits_ = 0;
  AuthThrottle throttle_;
};

}  // namespace mailflow
