#include "diagnose/diagnosis.h"

#include <algorithm>
#include <ctime>

namespace mailflow::diagnose {

namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const CollectorFindings* RunOf(const std::vector<CollectorFindings>& runs,
                               std::string_view name) {
  for (const auto& r : runs) {
    if (r.collector == name) return &r;
  }
  return nullptr;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

// Fills one step from the runs: the findings of every collector for it, and
// why its own collectors said nothing when they are off or failed.
StepResult BuildStep(const StepInfo& info,
                     const std::vector<CollectorFindings>& runs,
                     const std::vector<std::string>& compiled) {
  StepResult step;
  step.info = &info;
  for (const CollectorFindings& run : runs) {
    for (const Finding& f : run.findings) {
      if (f.step == info.step) step.findings.push_back(f);
    }
  }
  std::vector<std::string> off, failed;
  for (std::string_view name : info.collectors) {
    const CollectorFindings* run = RunOf(runs, name);
    if (!run) {
      off.push_back("the " + std::string(name) + " collector is " +
                    (Contains(compiled, name)
                         ? "disabled (--collector." + std::string(name) + ")"
                         : "not compiled into this binary"));
      continue;
    }
    if (run->status.ok()) continue;
    const std::string error = "the " + std::string(name) +
                              " collector failed: " + run->status.message();
    failed.push_back(error);
    bool own = false, explained = false;
    for (const Finding& f : run->findings) {
      if (f.step != info.step) continue;
      own = true;
      explained = explained || f.unchecked;
    }
    if (own && !explained) {
      // Its findings may be partial: say so beside them.
      Finding note;
      note.step = info.step;
      note.status = CheckStatus::kSkipped;
      note.unchecked = true;
      note.summary = error;
      note.runbook = "MailflowCollectorFailing";
      step.findings.push_back(std::move(note));
    }
  }
  for (const Finding& f : step.findings) {
    step.status = std::max(step.status, f.status);
    step.unchecked = step.unchecked || f.unchecked;
  }
  if (step.findings.empty()) {
    step.unchecked = !failed.empty();
    step.reason = Join(failed.empty() ? off : failed);
    if (step.reason.empty()) {
      step.reason = "no enabled collector reported on this step";
    }
  }
  return step;
}

}  // namespace

CheckStatus Diagnosis::Worst() const {
  CheckStatus worst = CheckStatus::kSkipped;
  for (const auto& s : steps) worst = std::max(worst, s.status);
  return worst;
}

bool Diagnosis::AnyUnchecked() const {
  return std::any_of(steps.begin(), steps.end(),
                     [](const StepResult& s) { return s.unchecked; });
}

std::vector<int> Diagnosis::Counts() const {
  std::vector<int> counts(4, 0);
  for (const auto& s : steps) ++counts[static_cast<size_t>(s.status)];
  return counts;
}

int Diagnosis::ExitCode() const {
  switch (Worst()) {
    case CheckStatus::kFail:
      return 2;
    case CheckStatus::kWarn:
      return 1;
    default:
      return AnyUnchecked() ? kExitCouldNotRun : 0;
  }
}

std::string FormatTimestamp(double unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Diagnosis BuildDiagnosis(std::vector<CollectorFindings> runs,
                         const std::vector<std::string>& compiled,
                         DiagnosisMeta meta) {
  Diagnosis d;
  d.meta = std::move(meta);
  for (const StepInfo& info : Steps()) {
    d.steps.push_back(BuildStep(info, runs, compiled));
  }
  return d;
}

}  // namespace mailflow::diagnose
