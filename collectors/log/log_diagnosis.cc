#include "collectors/log/log_diagnosis.h"

#include <cstdio>

namespace mailflow {

namespace {

std::string Seconds(double s) {
  char buf[32];
  if (s >= 120) {
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  }
  return buf;
}

}  // namespace

void LogFindings(const LogFacts& f, std::vector<Finding>* out) {
  using S = CheckStatus;
  const std::string where = f.source == "file" ? f.path : f.source;
  if (!f.up) {
    out->push_back(
        Finding::Unchecked(Step::kGreylisting,
                           "cannot read the mail log (" + where + ")" +
                               (f.error.empty() ? "" : ": " + f.error))
            .Runbook("LogSourceStalled"));
    return;
  }
  if (f.lines == 0) {
    out->push_back(Finding(Step::kGreylisting, S::kSkipped,
                           f.start_at_end
                               ? "no log line yet: the log is followed from "
                                 "its end (start_at: end), so a one-shot run "
                                 "has no history"
                               : "the mail log is empty")
                       .With("0 lines read", where));
    return;
  }
  const Evidence read{std::to_string(f.lines) + " lines read", where};
  if (f.greylist_deferrals == 0) {
    out->push_back(Finding(Step::kGreylisting, S::kOk,
                           "no delivery was greylisted by a receiver")
                       .With(read));
    return;
  }
  const bool slow = f.greylist_p90_seconds > kGreylistDelayWarnSeconds;
  std::string summary =
      f.greylist_deferrals == 1
          ? std::string("1 delivery was greylisted by a receiver")
          : std::to_string(f.greylist_deferrals) +
                " deliveries were greylisted by receivers";
  if (f.greylisted_delivered > 0) {
    summary += "; 90% of those delivered since arrived within " +
               Seconds(f.greylist_p90_seconds);
  }
  if (f.greylisted_waiting > 0) {
    summary += "; " + std::to_string(f.greylisted_waiting) +
               (f.greylisted_waiting == 1 ? " still waits" : " still wait");
  }
  Finding x(Step::kGreylisting, slow ? S::kWarn : S::kOk, summary);
  if (!f.greylist_example.empty()) {
    x.evidence.push_back({f.greylist_example, where});
  }
  x.evidence.push_back(read);
  if (slow) {
    x = std::move(x)
            .Fix(
                "retry sooner: postconf -e minimal_backoff_time=300s "
                "maximal_backoff_time=1800s; send from one address "
                "(smtp_bind_address)",
                "postfix reload")
            .Runbook("GreylistingDelaysHigh");
  }
  out->push_back(std::move(x));
}

}  // namespace mailflow
