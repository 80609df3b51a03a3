// RunProbes (one ProbeBatch, smtp_batch.h) and the names of results and
// phases.
#include "lib/smtp/smtp_prober.h"

#include "lib/smtp/smtp_batch.h"

namespace mailflow {

std::string_view ProbeResultName(ProbeResult r) {
  switch (r) {
    case ProbeResult::kOk:
      return "ok";
    case ProbeResult::kRefused:
      return "refused";
    case ProbeResult::kTimeout:
      return "timeout";
    case ProbeResult::kUnreachable:
      return "unreachable";
    case ProbeResult::kBannerTimeout:
      return "banner_timeout";
    case ProbeResult::kBannerError:
      return "banner_error";
    case ProbeResult::kTlsError:
      return "tls_error";
    case ProbeResult::kProtocolError:
      return "protocol_error";
    case ProbeResult::kError:
      return "error";
  }
  return "error";
}

std::string_view ProbePhaseName(ProbePhase p) {
  switch (p) {
    case ProbePhase::kConnect:
      return "connect";
    case ProbePhase::kBanner:
      return "banner";
    case ProbePhase::kEhlo:
      return "ehlo";
    case ProbePhase::kStartTls:
      return "starttls";
  }
  return "connect";
}

std::vector<ProbeOutcome> RunProbes(const std::vector<ProbeSpec>& specs,
                                    const ProbeBatchOptions& options) {
  std::vector<ProbeOutcome> out;
  smtp_probe::ProbeBatch batch(specs, options, &out);
  batch.Run();
  return out;
}

}  // namespace mailflow
