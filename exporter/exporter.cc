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

// Applies the scrape settings that take effect at run time.
void ApplyScrapeLimits(const ScrapeSettings& s, ScrapeCoalescer* coalescer,
                       ClientLimiter* limiter) {
  coalescer->SetMaxCpuShare(static_cast<double>(s.max_collection_cpu_percent) /
                            100);
  limiter->SetMax(static_cast<int>(s.max_requests_per_client));
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
  ApplyOverrides(options_.overrides, config);
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
  ApplyScrapeLimits(config.scrape, &coalescer_, &limiter_);
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
  ApplyScrapeLimits(config.scrape, &coalescer_, &limiter_);
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

double ScrapeBudgetSeconds(const ScrapeSettings& scrape,
                           const char* timeout_header) {
  using Seconds = std::chrono::duration<double>;
  const double max = Seconds(scrape.max_timeout).count();
  double timeout = std::min(Seconds(scrape.default_timeout).count(), max);
  if (timeout_header) {
    char* end = nullptr;
    const double v = std::strtod(timeout_header, &end);
    // NaN fails `v > 0`; larger values (and inf) are lowered to the max.
    if (end != timeout_header && *end == '\0' && v > 0) {
      timeout = std::min(v, max);
    }
  }
  const double offset = Seconds(scrape.timeout_offset).count();
  // Never less than half the timeout, so a large offset cannot zero it.
  return std::max(timeout - offset, timeout / 2);
}

Deadline Exporter::ScrapeDeadline(const char* timeout_header) const {
  ScrapeSettings scrape;
  {
    std::lock_guard<std::mutex> lock(mu_);
    scrape = config_.scrape;
  }
  return Deadline::After(std::chrono::duration_cast<Deadline::Clock::duration>(
      std::chrono::duration<double>(
          ScrapeBudgetSeconds(scrape, timeout_header))));
}

std::shared_ptr<const ScrapeResponse> Exporter::Scrape(Deadline deadline) {
  return coalescer_.Get(deadline);
}

std::shared_ptr<const ScrapeResponse> Exporter::ScrapeFor(
    const std::string& client, Deadline deadline) {
  if (!limiter_.Enter(client)) return nullptr;
  std::shared_ptr<const ScrapeResponse> r = coalescer_.Get(deadline);
  limiter_.Leave(client);
  return r;
}

ScrapeCoalescer::Result Exporter::Produce(Deadline deadline) {
  // The collector threads' CPU comes with `collected`; this thread's and
  // the commands the collectors ran (nft...) are counted here.
  const double cpu_start = ThreadCpuSeconds() + ReapedChildrenCpuSeconds();
  std::shared_ptr<CollectorSet> set = current_set(nullptr);
  CollectedScrape collected;
  if (set) collected = set->Collect(deadline);
  std::vector<prometheus::MetricFamily> own;
  FamilyBuilder(&own, "mailflow_exporter_build_info",
                "A metric with a constant '1' value labeled by version and "
                "revision of mailflow_exporter.",
                prometheus::MetricType::Gauge)
      .Add({{"revision", ExporterRevision()}, {"version", ExporterVersion()}},
           1);
  AddGauge(&own, "mailflow_config_last_reload_successful",
           "Whether the last configuration reload attempt was successful.",
           last_reload_ok_ ? 1 : 0);
  AddGauge(&own, "mailflow_config_last_reload_success_timestamp_seconds",
           "Timestamp of the last successful configuration reload.",
           last_reload_success_time_.load());
  FamilyBuilder(&own, "mailflow_exporter_collections_total",
                "Collections run for /metrics; concurrent requests share "
                "one, so it grows slower than the requests under load.",
                prometheus::MetricType::Counter)
      .Add({}, static_cast<double>(coalescer_.flights()));
  FamilyBuilder(&own, "mailflow_exporter_collections_held_back_total",
                "Collections that waited to keep collections within "
                "scrape.max_collection_cpu_percent of one CPU.",
                prometheus::MetricType::Counter)
      .Add({}, static_cast<double>(coalescer_.held_back()));
  FamilyBuilder(&own, "mailflow_exporter_scrapes_refused_total",
                "/metrics requests refused with 429: their client already had "
                "scrape.max_requests_per_client in progress.",
                prometheus::MetricType::Counter)
      .Add({}, static_cast<double>(limiter_.refused()));
  AppendProcessMetrics(&own);
  const FamilyTexts own_texts = ToFamilyTexts(std::move(own));
  std::vector<const FamilyTexts*> parts;
  for (const auto& p : collected.parts) parts.push_back(p.get());
  parts.push_back(&own_texts);
  ScrapeCoalescer::Result r;
  r.body = JoinFamilyTexts(parts);
  r.cpu_seconds = collected.cpu_seconds + ThreadCpuSeconds() +
                  ReapedChildrenCpuSeconds() - cpu_start;
  return r;
}

ProbeResponse Exporter::Probe(const std::string& target,
                              const std::string& module, Deadline deadline) {
  const std::string name = module.empty() ? "smtp" : module;
  std::shared_ptr<ProbeHandler> handler = context_->probes->Find(name);
  if (!handler) {
    return ProbeResponse::Refused(ProbeResponse::Outcome::kBadRequest,
                                  "Unknown module \"" + name + "\"");
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
    runs = set->CollectFindings(deadline);
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
