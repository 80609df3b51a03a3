#include "exporter/exporter.h"

#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "collectors/common/metrics.h"
#include "exporter/process_metrics.h"
#include "lib/base/log.h"

#ifndef MAILFLOW_VERSION
#define MAILFLOW_VERSION "0.0.0"
#endif
#ifndef MAILFLOW_REVISION
#define MAILFLOW_REVISION "unknown"
#endif

namespace mailflow {

const char* ExporterVersion() { return MAILFLOW_VERSION; }
const char* ExporterRevision() { return MAILFLOW_REVISION; }

namespace {

double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Deterministic output: families by name, samples by label values.
// Families without samples are dropped (a bare HELP/TYPE says nothing).
void SortFamilies(std::vector<prometheus::MetricFamily>* families) {
  std::erase_if(*families, [](const auto& f) { return f.metric.empty(); });
  std::stable_sort(
      families->begin(), families->end(),
      [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& f : *families) {
    std::stable_sort(
        f.metric.begin(), f.metric.end(),
        [](const auto& a, const auto& b) { return a.label < b.label; });
  }
}

}  // namespace

Exporter::Exporter(const CollectorRegistry& registry, ExporterOptions options)
    : registry_(registry), options_(std::move(options)) {}

bool Exporter::Load(Config* config, std::shared_ptr<CollectorSet>* set,
                    std::string* err) const {
  if (options_.config_file.empty()) {
    *config = DefaultConfig();
  } else if (!LoadConfigFile(options_.config_file, config, err)) {
    return false;
  }
  auto built = CollectorSet::Build(registry_, *config, options_.selection,
                                   context_, err);
  if (!built) return false;
  *set = std::move(built);
  return true;
}

bool Exporter::Init(std::string* err) {
  Config config;
  std::shared_ptr<CollectorSet> set;
  if (!Load(&config, &set, err)) return false;
  set->Start();
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(config);
  set_ = std::move(set);
  last_reload_ok_ = true;
  last_reload_success_time_ = NowSeconds();
  return true;
}

void Exporter::AddReloadHook(ReloadHook hook) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  reload_hooks_.push_back(std::move(hook));
}

bool Exporter::Reload(std::string* err) {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  std::string errors;
  bool ok = ReloadConfig(&errors);
  for (const ReloadHook& hook : reload_hooks_) {
    std::string hook_err;
    if (hook(&hook_err)) continue;
    ok = false;
    errors += (errors.empty() ? "" : "; ") + hook_err;
  }
  last_reload_ok_ = ok;
  if (ok) last_reload_success_time_ = NowSeconds();
  *err = errors;
  return ok;
}

bool Exporter::ReloadConfig(std::string* err) {
  Config config;
  std::shared_ptr<CollectorSet> set;
  if (!Load(&config, &set, err)) {
    Log(LogLevel::kError, "config",
        "reload failed, keeping the running configuration: " + *err);
    return false;
  }
  set->Start();
  std::shared_ptr<CollectorSet> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    config_ = std::move(config);
    old = std::move(set_);
    set_ = std::move(set);
  }
  Log(LogLevel::kInfo, "config",
      "configuration reloaded from " + config_source());
  return true;  // `old` is destroyed here, or by the last scrape using it
}

std::shared_ptr<CollectorSet> Exporter::current_set(Config* config) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (config) *config = config_;
  return set_;
}

Deadline Exporter::ScrapeDeadline(const char* timeout_header) const {
  Config config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    config.scrape = config_.scrape;
  }
  double timeout =
      std::chrono::duration<double>(config.scrape.default_timeout).count();
  if (timeout_header) {
    char* end = nullptr;
    double v = std::strtod(timeout_header, &end);
    if (end != timeout_header && *end == '\0' && v > 0 && v < 86400) {
      timeout = v;
    }
  }
  const double offset =
      std::chrono::duration<double>(config.scrape.timeout_offset).count();
  // Never less than half the timeout, so a large offset cannot zero it.
  const double budget = std::max(timeout - offset, timeout / 2);
  return Deadline::After(std::chrono::duration_cast<Deadline::Clock::duration>(
      std::chrono::duration<double>(budget)));
}

std::string Exporter::Scrape(Deadline deadline) {
  std::shared_ptr<CollectorSet> set = current_set(nullptr);
  std::vector<prometheus::MetricFamily> families;
  if (set) set->Collect(deadline, &families);
  FamilyBuilder(&families, "mailflow_exporter_build_info",
                "A metric with a constant '1' value labeled by version and "
                "revision of mailflow_exporter.",
                prometheus::MetricType::Gauge)
      .Add({{"revision", ExporterRevision()}, {"version", ExporterVersion()}},
           1);
  AddGauge(&families, "mailflow_config_last_reload_successful",
           "Whether the last configuration reload attempt was successful.",
           last_reload_ok_ ? 1 : 0);
  AddGauge(&families, "mailflow_config_last_reload_success_timestamp_seconds",
           "Timestamp of the last successful configuration reload.",
           last_reload_success_time_.load());
  AppendProcessMetrics(&families);
  SortFamilies(&families);
  return prometheus::TextSerializer().Serialize(families);
}

ProbeResponse Exporter::Probe(const std::string& target,
                              const std::string& module, Deadline deadline) {
  const std::string name = module.empty() ? "smtp" : module;
  std::shared_ptr<ProbeHandler> handler = context_->probes->Find(name);
  if (!handler) {
    ProbeResponse r;
    r.http_status = 400;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Unknown module \"" + name + "\"\n";
    return r;
  }
  ProbeRequest request;
  request.target = target;
  request.module = name;
  request.deadline = deadline;
  return handler->Probe(request);
}

diagnose::Diagnosis Exporter::Diagnose(Deadline deadline) {
  const auto start = Deadline::Clock::now();
  diagnose::DiagnosisMeta meta;
  meta.started_at = NowSeconds();
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) meta.host = host;
  meta.version = ExporterVersion();
  meta.revision = ExporterRevision();
  meta.config_source = config_source();
  std::vector<CollectorFindings> runs;
  if (std::shared_ptr<CollectorSet> set = current_set(nullptr)) {
    std::vector<prometheus::MetricFamily> families;
    set->Collect(deadline, &families, &runs);
  }
  std::vector<std::string> compiled;
  for (const CollectorInfo& info : registry_.all()) {
    compiled.push_back(info.name);
  }
  meta.duration_seconds =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
  return diagnose::BuildDiagnosis(std::move(runs), compiled, std::move(meta));
}

void Exporter::WaitForResults(Deadline deadline) {
  if (std::shared_ptr<CollectorSet> set = current_set(nullptr)) {
    set->WaitForResults(deadline);
  }
}

std::vector<std::string> Exporter::collector_names() const {
  auto set = current_set(nullptr);
  return set ? set->names() : std::vector<std::string>();
}

std::string Exporter::config_source() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_.source;
}

}  // namespace mailflow
