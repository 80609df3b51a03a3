#include "exporter/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace mailflow {

namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict RFC 4648 base64 with padding.
bool DecodeBase64(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad > 0 || (v[j] = Base64Value(c)) < 0) {
        return false;
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

}  // namespace

const char kBasicAuthDummyHash[] =
    "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

bool ParseBasicAuthorization(std::string_view header, std::string* user,
                             std::string* password) {
  constexpr std::string_view kScheme = "basic";
  if (header.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if ((header[i] | 0x20) != kScheme[i]) return false;
  }
  std::string_view rest = header.substr(kScheme.size());
  if (rest[0] != ' ') return false;
  while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  std::string decoded;
  if (!DecodeBase64(rest, &decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

bool VerifyBcrypt(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // libxcrypt returns a string starting with '*' on failure.
  if (!out || out[0] == '*') return false;
  const size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users,
                     AuthThrottle::Options throttle)
    : users_(std::move(users)), throttle_(throttle) {
  // Without randomness the cache would hold unkeyed digests: keep it off.
  cache_enabled_ = RAND_bytes(hmac_key_.data(), hmac_key_.size()) == 1;
}

BasicAuth::Digest BasicAuth::Key(const std::string& user,
                                 const std::string& hash,
                                 const std::string& password) const {
  // Length-prefixed so that no two (user, hash, password) triples collide.
  std::string msg;
  for (const std::string* s : {&user, &hash, &password}) {
    msg += std::to_string(s->size()) + ":" + *s;
  }
  Digest d{};
  unsigned int len = d.size();
  HMAC(EVP_sha256(), hmac_key_.data(), hmac_key_.size(),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), d.data(),
       &len);
  OPENSSL_cleanse(msg.data(), msg.size());
  return d;
}

bool BasicAuth::Cached(const Digest& d) const {
  // Every entry is compared, match or not: the time does not depend on
  // which entry (if any) matches.
  int found = 0;
  for (const Digest& e : cache_) {
    found |= CRYPTO_memcmp(e.data(), d.data(), d.size()) == 0;
  }
  return found != 0;
}

AuthDecision BasicAuth::Check(const char* authorization,
                              std::string_view source) {
  AuthDecision d;
  if (!enabled()) {
    d.result = AuthDecision::kOk;
    return d;
  }
  // A throttled source gets no answer about any password, cached or not.
  if (throttle_.Throttled(source, &d.retry_after)) {
    d.result = AuthDecision::kThrottled;
    return d;
  }
  std::string user, password;
  if (!authorization ||
      !ParseBasicAuthorization(authorization, &user, &password)) {
    return d;  // kDenied: no verification was needed
  }
  auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string& hash =
      known ? it->second : std::string(kBasicAuthDummyHash);
  const Digest key = Key(user, hash, password);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (known && Cached(key)) {
      ++hits_;
      d.result = AuthDecision::kOk;
      return d;
    }
  }
  std::string ticket;
  switch (throttle_.Admit(source, &d.retry_after, &ticket)) {
    case AuthThrottle::Admission::kAdmitted:
      break;
    case AuthThrottle::Admission::kThrottled:
    case AuthThrottle::Admission::kBusy:
      OPENSSL_cleanse(password.data(), password.size());
      d.result = AuthDecision::kThrottled;
      return d;
  }
  const bool ok = VerifyBcrypt(password, hash) && known;
  throttle_.Done(ticket, ok);
  OPENSSL_cleanse(password.data(), password.size());
  if (!ok) return d;
  d.result = AuthDecision::kOk;
  std::lock_guard<std::mutex> lock(mu_);
  if (!cache_enabled_) return d;
  if (cache_.size() < kCacheSize) {
    cache_.push_back(key);
  } else {
    cache_[next_] = key;
    next_ = (next_ + 1) % kCacheSize;
  }
  return d;
}

uint64_t BasicAuth::cache_hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

}  // namespace mailflow
