// What Postfix's smtpd answers a stranger who asks it to relay: the
// restriction lists walked the way smtpd_check.c (Postfix 3.7) walks them.
// Pure: expanded parameter values in, a verdict out; no I/O, no Prometheus.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lib/postfix/main_cf.h"

namespace mailflow::postfix {

/// refused: every stranger gets 4xx/5xx; relayed: an open relay; depends: a
/// lookup table, policy service or DNS list decides.
enum class RelayVerdict { kRefused, kRelayed, kDepends };

/// "refused", "relayed", "depends".
const char* RelayVerdictName(RelayVerdict verdict);

struct RelayDecision {
  RelayVerdict verdict = RelayVerdict::kRefused;
  /// The list and restriction that decided, e.g.
  /// "smtpd_relay_restrictions: defer_unauth_destination (item 3)".
  std::string reason;
};

/// The restriction lists one smtpd process applies, expanded (main.cf with
/// the service's -o overrides). Value type.
struct SmtpdRestrictions {
  std::string client;     // smtpd_client_restrictions
  std::string helo;       // smtpd_helo_restrictions
  std::string sender;     // smtpd_sender_restrictions
  std::string relay;      // smtpd_relay_restrictions
  std::string recipient;  // smtpd_recipient_restrictions
  /// smtpd_restriction_classes: class name -> its expanded value.
  std::vector<std::pair<std::string, std::string>> classes;
  bool delay_reject = true;  // smtpd_delay_reject
  bool relay_before_recipient =
      true;  // smtpd_relay_before_recipient_restrictions
};

/// The lists as the service with `overrides` (master.cf -o) sees them,
/// compatibility_level defaults included. Expansion errors are reported in
/// *err (the first one) and the affected value is taken as empty.
SmtpdRestrictions RestrictionsFor(const MainCf& main,
                                  const ParamOverrides& overrides,
                                  std::string* err);

/// What smtpd answers RCPT TO a domain this server is not a destination for,
/// from a client outside mynetworks that is neither SASL- nor
/// certificate-authenticated, and passes every check that can only reject
/// (RBLs, reject_unknown_*: the worst case). Thread-safe.
RelayDecision EvaluateRelay(const SmtpdRestrictions& restrictions);

}  // namespace mailflow::postfix
