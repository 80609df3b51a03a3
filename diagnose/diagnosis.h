// Diagnosis: the troubleshooting guide's steps with their verdicts, built
// from the findings of one collection. The one model behind the CLI report,
// the landing page and /diagnose?format=json.
#pragma once

#include <string>
#include <vector>

#include "collectors/finding.h"
#include "diagnose/steps.h"

namespace mailflow::diagnose {

struct StepResult {
  const StepInfo* info = nullptr;
  /// The worst status of the findings; kSkipped when none was checked.
  CheckStatus status = CheckStatus::kSkipped;
  /// kSkipped: true when the step could not be checked (a collector failed
  /// or a finding says so), false when it is not configured or disabled.
  bool unchecked = false;
  /// kSkipped: why, when no finding says it (collector disabled, failed).
  std::string reason;
  std::vector<Finding> findings;  // collector order, then as produced
};

/// Where and when a diagnosis ran (shown in every report).
struct DiagnosisMeta {
  std::string host;
  std::string version;
  std::string revision;
  std::string config_source;
  double started_at = 0;  // Unix seconds
  double duration_seconds = 0;
};

/// Value type.
struct Diagnosis {
  DiagnosisMeta meta;
  std::vector<StepResult> steps;  // every step, in guide order

  /// The worst step status (kSkipped only when every step was skipped).
  CheckStatus Worst() const;
  /// Whether some step or finding could not be checked.
  bool AnyUnchecked() const;
  /// Steps per status, indexed by CheckStatus.
  std::vector<int> Counts() const;
  /// The command's exit status: 2 when a step fails, else 1 on warnings,
  /// else 3 when something could not be checked, else 0.
  int ExitCode() const;
};

/// "2024-05-01T12:00:00Z" (UTC, whole seconds).
std::string FormatTimestamp(double unix_seconds);

/// Exit status of `diagnose` when it could not run at all (bad flags or
/// configuration).
inline constexpr int kExitCouldNotRun = 3;

/// Groups the findings of one collection by step. `runs` holds the enabled
/// collectors (CollectorSet::Collect with findings); `compiled` names every
/// collector built into the binary (to tell "disabled" from "not compiled
/// in"). Steps no enabled collector checks are skipped with the reason; a
/// failed collector makes its steps "could not be checked" with its error.
Diagnosis BuildDiagnosis(std::vector<CollectorFindings> runs,
                         const std::vector<std::string>& compiled,
                         DiagnosisMeta meta);

}  // namespace mailflow::diagnose
