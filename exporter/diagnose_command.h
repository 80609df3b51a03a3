// `mailflow_exporter diagnose`: the troubleshooting guide run once, in the
// terminal.
#pragma once

#include <chrono>
#include <string>

#include "collectors/registry.h"
#include "exporter/exporter.h"

namespace mailflow {

struct DiagnoseOptions {
  std::string format = "text";  // text | json
  std::string colour = "auto";  // auto | always | never
  /// The whole run, probe rounds included, ends by then.
  std::chrono::milliseconds timeout{15000};
};

/// Builds the collectors from `exporter_options` (config file, --collector
/// flags), starts them, waits for the first probe rounds (at most 60% of
/// the timeout), collects once and prints the checklist to stdout. Returns
/// the exit status: 0 all OK, 1 warnings, 2 failures, 3 could not run or a
/// step could not be checked (diagnose::Diagnosis::ExitCode). Errors that
/// stop the run go to stderr. Background threads may still run when it
/// returns: the caller exits the process.
int RunDiagnose(const CollectorRegistry& registry,
                const ExporterOptions& exporter_options,
                const DiagnoseOptions& options);

}  // namespace mailflow
