// The troubleshooting guide's steps: ids, titles and the collectors that
// check them, in the order a human goes through them.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "collectors/finding.h"

namespace mailflow::diagnose {

struct StepInfo {
  Step step;
  /// Stable id, used in the JSON schema and HTML anchors: "postfix_running".
  std::string_view id;
  /// What the step checks, phrased as a statement: "Postfix is running".
  std::string_view title;
  /// The collectors whose findings feed it, in registry order.
  std::vector<std::string_view> collectors;
};

/// Every step, in guide order (index == static_cast<int>(step)).
/// Thread-safe (immutable).
const std::array<StepInfo, kStepCount>& Steps();

const StepInfo& InfoOf(Step step);

/// "ok", "warn", "fail", "skipped".
std::string_view StatusName(CheckStatus status);
/// "OK", "WARN", "FAIL", "SKIPPED".
std::string_view StatusLabel(CheckStatus status);

}  // namespace mailflow::diagnose
