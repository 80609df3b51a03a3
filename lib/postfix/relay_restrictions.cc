#include "lib/postfix/relay_restrictions.h"

#include <cctype>
#include <string_view>

#include "lib/postfix/relay_walk.h"

namespace mailflow::postfix {

const char* RelayVerdictName(RelayVerdict verdict) {
  switch (verdict) {
    case RelayVerdict::kRefused:
      return "refused";
    case RelayVerdict::kRelayed:
      return "relayed";
    case RelayVerdict::kDepends:
      return "depends";
  }
  return "refused";
}

SmtpdRestrictions RestrictionsFor(const MainCf& main,
                                  const ParamOverrides& overrides,
                                  std::string* err) {
  SmtpdRestrictions r;
  auto get = [&](std::string_view name) {
    std::string e;
    std::string v = main.GetWithOverrides(name, overrides, &e);
    if (!e.empty() && err != nullptr && err->empty()) {
      *err = std::string(name) + ": " + e;
    }
    return v;
  };
  r.client = get("smtpd_client_restrictions");
  r.helo = get("smtpd_helo_restrictions");
  r.sender = get("smtpd_sender_restrictions");
  r.relay = get("smtpd_relay_restrictions");
  r.recipient = get("smtpd_recipient_restrictions");
  for (const std::string& name :
       MainCf::SplitList(get("smtpd_restriction_classes"))) {
    r.classes.emplace_back(name, get(name));
  }
  auto yes = [](std::string v) {
    for (char& c : v) c = static_cast<char>(std::tolower(c));
    return v == "yes" || v == "true" || v == "1";
  };
  r.delay_reject = yes(get("smtpd_delay_reject"));
  r.relay_before_recipient =
      yes(get("smtpd_relay_before_recipient_restrictions"));
  return r;
}

RelayDecision EvaluateRelay(const SmtpdRestrictions& restrictions) {
  return RelayWalk(restrictions).Decide();
}

}  // namespace mailflow::postfix
