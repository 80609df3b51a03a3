// SmtpProbeHandler: the smtp collector's /probe modules.
#pragma once

#include <memory>

#include "collectors/common/probe.h"
#include "collectors/smtp/smtp_options.h"

namespace mailflow {

/// The /probe handler of one configuration (shared by all its modules):
/// checks the module and the target against probe.allowed_networks/
/// allowed_ports (a bad request or a forbidden target sends nothing), then
/// probes the target once within the request's deadline and the module's
/// timeout. Thread-safe and independent of the collector's lifetime.
class SmtpProbeHandler : public ProbeHandler {
 public:
  explicit SmtpProbeHandler(std::shared_ptr<const SmtpOptions> options)
      : options_(std::move(options)) {}
  ProbeResponse Probe(const ProbeRequest& request) override;

 private:
  std::shared_ptr<const SmtpOptions> options_;
};

}  // namespace mailflow
