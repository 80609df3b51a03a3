// The JSON rendering of a Diagnosis: docs/diagnose.schema.json, version
// kJsonSchemaVersion.
#include <nlohmann/json.hpp>

#include "diagnose/markdown.h"
#include "diagnose/reports.h"

namespace mailflow::diagnose {

namespace {

using Json = nlohmann::ordered_json;

Json FindingJson(const Finding& f) {
  Json j;
  j["status"] = StatusName(f.status);
  j["subject"] = f.subject;
  j["summary"] = f.summary;
  Json evidence = Json::array();
  for (const Evidence& e : f.evidence) {
    evidence.push_back({{"text", e.text}, {"source", e.source}});
  }
  j["evidence"] = std::move(evidence);
  j["fix"] = f.fix;
  j["apply"] = f.apply;
  if (f.runbook.empty()) {
    j["runbook"] = nullptr;
  } else {
    j["runbook"] = {{"name", f.runbook}, {"href", RunbookHref(f.runbook)}};
  }
  j["unchecked"] = f.status == CheckStatus::kSkipped && f.unchecked;
  return j;
}

Json StepJson(const StepResult& s, int number) {
  Json j;
  j["number"] = number;
  j["id"] = s.info->id;
  j["title"] = s.info->title;
  j["status"] = StatusName(s.status);
  j["unchecked"] = s.unchecked;
  j["reason"] = s.reason;
  Json collectors = Json::array();
  for (std::string_view c : s.info->collectors) collectors.push_back(c);
  j["collectors"] = std::move(collectors);
  Json findings = Json::array();
  for (const Finding& f : s.findings) findings.push_back(FindingJson(f));
  j["findings"] = std::move(findings);
  return j;
}

}  // namespace

std::string RenderJson(const Diagnosis& d) {
  Json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["generator"] = {{"name", "mailflow_exporter"},
                    {"version", d.meta.version},
                    {"revision", d.meta.revision}};
  j["host"] = d.meta.host;
  j["config_source"] = d.meta.config_source;
  j["started_at"] = FormatTimestamp(d.meta.started_at);
  j["duration_seconds"] = d.meta.duration_seconds;
  j["status"] = StatusName(d.Worst());
  j["exit_code"] = d.ExitCode();
  const std::vector<int> c = d.Counts();
  j["counts"] = {
      {"ok", c[1]}, {"warn", c[2]}, {"fail", c[3]}, {"skipped", c[0]}};
  Json steps = Json::array();
  int number = 0;
  for (const StepResult& s : d.steps) steps.push_back(StepJson(s, ++number));
  j["steps"] = std::move(steps);
  // Evidence quotes files and logs: invalid UTF-8 becomes U+FFFD rather
  // than an exception.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace mailflow::diagnose
