#include "diagnose/steps.h"

namespace mailflow::diagnose {

const std::array<StepInfo, kStepCount>& Steps() {
  static const std::array<StepInfo, kStepCount> steps = {{
      {Step::kPostfixRunning,
       "postfix_running",
       "Postfix is running",
       {"postfix"}},
      {Step::kListening,
       "listening",
       "Postfix listens on the SMTP ports, on the right addresses",
       {"listen"}},
      {Step::kConfigApplied,
       "config_applied",
       "The kernel's sockets match main.cf and master.cf (no edit waiting "
       "for a restart)",
       {"listen"}},
      {Step::kServices,
       "services",
       "The master.cf SMTP services are enabled",
       {"postfix"}},
      {Step::kFirewall,
       "firewall",
       "The firewall lets SMTP connections in",
       {"firewall"}},
      {Step::kChroot,
       "chroot",
       "The chroot jail has current copies of its files",
       {"postfix"}},
      {Step::kDns,
       "dns",
       "DNS: resolvers answer, a local cache, fast MX lookups",
       {"dns"}},
      {Step::kOutbound,
       "outbound",
       "Outbound SMTP (port 25) gets through",
       {"smtp"}},
      {Step::kQueue, "queue", "The queue is flowing", {"queue"}},
      {Step::kGreylisting,
       "greylisting",
       "Greylisting does not hold mail up",
       {"postfix", "queue", "log"}},
      {Step::kOpenRelay,
       "open_relay",
       "Postfix is not an open relay",
       {"postfix"}},
  }};
  return steps;
}

const StepInfo& InfoOf(Step step) { return Steps()[static_cast<size_t>(step)]; }

std::string_view StatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kWarn:
      return "warn";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kSkipped:
      break;
  }
  return "skipped";
}

std::string_view StatusLabel(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "OK";
    case CheckStatus::kWarn:
      return "WARN";
    case CheckStatus::kFail:
      return "FAIL";
    case CheckStatus::kSkipped:
      break;
  }
  return "SKIPPED";
}

}  // namespace mailflow::diagnose
