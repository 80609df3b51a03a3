// libFuzzer entry point for the relay evaluator: arbitrary bytes as main.cf
// (restriction lists, classes that name each other, static: tables whose
// values are lists again), evaluated for the main.cf itself and for a
// service whose -o overrides come from the same bytes. Any crash, sanitizer
// report, hang or unbounded memory use is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/postfix/main_cf.h"
#include "lib/postfix/relay_restrictions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mailflow::postfix::MainCf;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  MainCf cf = MainCf::Parse(text, "fuzz.cf");
  std::string err;
  mailflow::postfix::RelayDecision d = mailflow::postfix::EvaluateRelay(
      mailflow::postfix::RestrictionsFor(cf, {}, &err));
  (void)mailflow::postfix::RelayVerdictName(d.verdict);
  // The first line's text as an -o override of every list.
  const std::string first(text.substr(0, text.find('\n')));
  mailflow::postfix::ParamOverrides overrides;
  for (const char* list :
       {"smtpd_relay_restrictions", "smtpd_recipient_restrictions",
        "smtpd_client_restrictions", "smtpd_restriction_classes"}) {
    overrides.emplace_back(list, first);
  }
  d = mailflow::postfix::EvaluateRelay(
      mailflow::postfix::RestrictionsFor(cf, overrides, &err));
  return 0;
}
