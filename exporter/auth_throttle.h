// AuthThrottle: bounds the bcrypt work unauthenticated clients can cause.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace mailflow {

/// Gatekeeper in front of each password verification (bcrypt, deliberately
/// slow):
/// - at most `max_concurrent` verifications run at once, and one per source
///   address: a flood from one address occupies one slot, never all;
/// - a source with `max_failures` failed logins within `window` is refused
///   without a verification until `window` after its last failure (also
///   for correct passwords: otherwise the cache of good credentials would
///   answer guesses at memory speed).
/// Sources are tracked up to `max_sources`; beyond that, new sources share
/// one entry ("other"). Thread-safe.
class AuthThrottle {
 public:
  struct Options {
    int max_concurrent = 2;
    int max_failures = 10;
    std::chrono::milliseconds window{60000};
    /// How long Admit() waits for a free slot.
    std::chrono::milliseconds max_wait{5000};
    size_t max_sources = 4096;
  };
  using Clock = std::chrono::steady_clock;

  AuthThrottle() : AuthThrottle(Options()) {}
  explicit AuthThrottle(Options options) : options_(options) {}

  enum class Admission {
    kAdmitted,   // verify, then call Done()
    kThrottled,  // too many failures from this source: refuse (429)
    kBusy,       // no slot within max_wait: refuse (429)
  };

  /// Whether `source` may verify a password now; waits up to max_wait for
  /// a slot. `*retry_after` (kThrottled, kBusy): seconds to tell the
  /// client. `*ticket` (kAdmitted): what to pass to Done().
  Admission Admit(std::string_view source, int* retry_after,
                  std::string* ticket);

  /// Ends an admitted verification; `ok`: the password matched.
  void Done(const std::string& ticket, bool ok);

  /// Whether `source` is refused now (without waiting or taking a slot).
  bool Throttled(std::string_view source, int* retry_after);

 private:
  struct Source {
    bool in_flight = false;
    int failures = 0;
    Clock::time_point last_failure{};
  };
  /// The entry `source` is accounted under (created if needed).
  std::string Key(std::string_view source, Clock::time_point now);  // mu_
  bool Blocked(const Source& s, Clock::time_point now,
               int* retry_after) const;  // mu_
  void Prune(Clock::time_point now);     // mu_

  const Options options_;
  std::mutex mu_;  // guards everything below
  std::condition_variable freed_;
  int running_ = 0;
  std::map<std::string, Source, std::less<>> sources_;
};

}  // namespace mailflow
