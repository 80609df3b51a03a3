#include "diagnose/diagnosis.h"

#include <gtest/gtest.h>

namespace mailflow::diagnose {
namespace {

Finding Make(Step step, CheckStatus status, std::string summary,
             bool unchecked = false) {
  Finding f;
  f.step = step;
  f.status = status;
  f.summary = std::move(summary);
  f.unchecked = unchecked;
  return f;
}

const std::vector<std::string> kCompiled = {"postfix", "listen", "firewall",
                                            "queue",   "dns",    "smtp"};

const StepResult& StepOf(const Diagnosis& d, Step s) {
  return d.steps[static_cast<size_t>(s)];
}

TEST(DiagnosisTest, EveryStepInGuideOrder) {
  Diagnosis d = BuildDiagnosis({}, kCompiled, {});
  ASSERT_EQ(d.steps.size(), static_cast<size_t>(kStepCount));
  EXPECT_EQ(d.steps[0].info->id, "postfix_running");
  EXPECT_EQ(d.steps[4].info->id, "firewall");
  EXPECT_EQ(d.steps[10].info->id, "open_relay");
  EXPECT_EQ(StepOf(d, Step::kDns).reason,
            "the dns collector is disabled (--collector.dns)");
  EXPECT_EQ(StepOf(d, Step::kGreylisting).reason,
            "the postfix collector is disabled (--collector.postfix); the "
            "queue collector is disabled (--collector.queue); the log "
            "collector is not compiled into this binary");
  EXPECT_EQ(d.Worst(), CheckStatus::kSkipped);
  EXPECT_EQ(d.ExitCode(), 0);  // nothing to check is not an error
}

TEST(DiagnosisTest, WorstFindingIsTheStepStatus) {
  std::vector<CollectorFindings> runs = {
      {"listen",
       Status::OK(),
       {Make(Step::kListening, CheckStatus::kOk, "587 fine"),
        Make(Step::kListening, CheckStatus::kFail, "25 loopback only"),
        Make(Step::kConfigApplied, CheckStatus::kWarn, "not applied")}},
  };
  Diagnosis d = BuildDiagnosis(runs, kCompiled, {});
  const StepResult& s = StepOf(d, Step::kListening);
  EXPECT_EQ(s.status, CheckStatus::kFail);
  ASSERT_EQ(s.findings.size(), 2u);
  EXPECT_EQ(s.findings[1].summary, "25 loopback only");
  EXPECT_EQ(StepOf(d, Step::kConfigApplied).status, CheckStatus::kWarn);
  EXPECT_EQ(d.ExitCode(), 2);
  EXPECT_EQ(d.Counts(), (std::vector<int>{9, 0, 1, 1}));
}

TEST(DiagnosisTest, FailedCollectorMakesItsStepsUnchecked) {
  std::vector<CollectorFindings> runs = {
      {"postfix", Status::Error("/x/main.cf: cannot read: No such file"), {}},
      {"queue",
       Status::Error("permission denied listing /q/deferred"),
       {Make(Step::kQueue, CheckStatus::kOk, "active: 0")}},
  };
  Diagnosis d = BuildDiagnosis(runs, kCompiled, {});
  const StepResult& running = StepOf(d, Step::kPostfixRunning);
  EXPECT_EQ(running.status, CheckStatus::kSkipped);
  EXPECT_TRUE(running.unchecked);
  EXPECT_EQ(running.reason,
            "the postfix collector failed: /x/main.cf: cannot read: No such "
            "file");
  // A partial result keeps its findings, with the error beside them.
  const StepResult& queue = StepOf(d, Step::kQueue);
  EXPECT_EQ(queue.status, CheckStatus::kOk);
  ASSERT_EQ(queue.findings.size(), 2u);
  EXPECT_TRUE(queue.findings[1].unchecked);
  EXPECT_EQ(queue.findings[1].runbook, "MailflowCollectorFailing");
  EXPECT_EQ(d.ExitCode(), 3);
  // A collector that explains its failure in a finding gets no second note.
  runs[1].findings.push_back(
      Finding::Unchecked(Step::kQueue, "permission denied, grant X"));
  d = BuildDiagnosis(runs, kCompiled, {});
  ASSERT_EQ(StepOf(d, Step::kQueue).findings.size(), 2u);
  EXPECT_EQ(StepOf(d, Step::kQueue).findings[1].summary,
            "permission denied, grant X");
}

TEST(DiagnosisTest, ExitCodePrecedence) {
  auto exit_code = [](std::vector<Finding> findings) {
    return BuildDiagnosis({{"dns", Status::OK(), std::move(findings)}},
                          kCompiled, {})
        .ExitCode();
  };
  EXPECT_EQ(exit_code({Make(Step::kDns, CheckStatus::kOk, "")}), 0);
  EXPECT_EQ(exit_code({Make(Step::kDns, CheckStatus::kSkipped, "no domains")}),
            0);
  EXPECT_EQ(
      exit_code({Make(Step::kDns, CheckStatus::kSkipped, "timeout", true)}), 3);
  EXPECT_EQ(exit_code({Make(Step::kDns, CheckStatus::kSkipped, "timeout", true),
                       Make(Step::kDns, CheckStatus::kWarn, "slow")}),
            1);
  EXPECT_EQ(exit_code({Make(Step::kDns, CheckStatus::kWarn, "slow"),
                       Make(Step::kDns, CheckStatus::kFail, "dead")}),
            2);
}

TEST(DiagnosisTest, FormatTimestamp) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1714564800.7), "2024-05-01T12:00:00Z");
}

}  // namespace
}  // namespace mailflow::diagnose
