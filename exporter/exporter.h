// Exporter: configuration, the live collector set, reload, and scrapes.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/common/probe.h"
#include "collectors/registry.h"
#include "config/config.h"
#include "diagnose/diagnosis.h"
#include "exporter/client_limiter.h"
#include "exporter/collector_set.h"
#include "exporter/scrape_coalescer.h"
#include "lib/base/deadline.h"

namespace mailflow {

struct ExporterOptions {
  /// Empty: the embedded default configuration.
  std::string config_file;
  /// Flags and environment variables that replace the file's settings,
  /// applied again on every reload.
  std::vector<CollectorOverride> overrides;
  CollectorSelection selection;
};

/// Thread-safe: Scrape() runs on HTTP threads while Reload() swaps the
/// collector set; a scrape keeps the set it started with alive.
class Exporter {
 public:
  Exporter(const CollectorRegistry& registry, ExporterOptions options);

  /// Loads the configuration and starts the collectors.
  bool Init(std::string* err);

  /// Re-reads the config file, then runs the reload hooks (the web
  /// config). Each part is all or nothing on its own: a bad config file
  /// keeps the running configuration, a failing hook keeps what it reloads,
  /// and either failure records mailflow_config_last_reload_successful 0 and
  /// returns false with the errors in `*err` ("; "-separated).
  bool Reload(std::string* err);

  /// A part of Reload() beyond --config.file: returns false with `*err` and
  /// logs its own outcome. Add hooks before the first Reload().
  using ReloadHook = std::function<bool(std::string* err)>;
  void AddReloadHook(ReloadHook hook);

  /// The deadline for a scrape: now + ScrapeBudgetSeconds() of the running
  /// configuration.
  Deadline ScrapeDeadline(const char* timeout_header) const;

  /// The text exposition body of a collection that started after this call
  /// (concurrent calls share one, see ScrapeCoalescer). Returns by
  /// `deadline` plus serialization slack.
  std::shared_ptr<const ScrapeResponse> Scrape(Deadline deadline);

  /// As Scrape(), for a request from `client` (its address): nullptr when
  /// the client already has scrape.max_requests_per_client requests in
  /// progress (see ClientLimiter).
  std::shared_ptr<const ScrapeResponse> ScrapeFor(const std::string& client,
                                                  Deadline deadline);

  /// Serves /probe: runs the handler a collector registered for `module`
  /// ("smtp" when empty) against `target` within `deadline`. 400 for an
  /// unknown module. Thread-safe.
  ProbeResponse Probe(const std::string& target, const std::string& module,
                      Deadline deadline);

  /// Runs every enabled collector once and builds the troubleshooting
  /// guide's checklist from their findings (the board at /, /diagnose and
  /// `mailflow_exporter diagnose`). Returns by `deadline` like a scrape.
  diagnose::Diagnosis Diagnose(Deadline deadline);

  /// Blocks until collectors with background work (probe rounds, the log)
  /// have their first results, or `deadline` passes (for the one-shot
  /// `diagnose` command, right after Init()).
  void WaitForResults(Deadline deadline);

  std::vector<std::string> collector_names() const;
  std::string config_source() const;

 private:
  bool Load(Config* config, std::shared_ptr<CollectorSet>* set,
            std::string* err) const;
  bool ReloadConfig(std::string* err);  // requires reload_mu_
  std::shared_ptr<CollectorSet> current_set(Config* config) const;
  // One collection: every collector, the exporter's own families, the text.
  ScrapeCoalescer::Result Produce(Deadline deadline);

  const CollectorRegistry& registry_;
  const ExporterOptions options_;
  /// Shared by every collector set this exporter builds (survives reloads).
  const std::shared_ptr<CollectorContext> context_ =
      std::make_shared<CollectorContext>();

  mutable std::mutex mu_;  // guards config_ and set_
  Config config_;
  std::shared_ptr<CollectorSet> set_;

  std::mutex reload_mu_;  // serializes reloads, guards reload_hooks_
  std::vector<ReloadHook> reload_hooks_;
  std::atomic<bool> last_reload_ok_{true};
  std::atomic<double> last_reload_success_time_{0};

  ScrapeCoalescer coalescer_{[this](Deadline d) { return Produce(d); }};
  ClientLimiter limiter_;
};

/// How long a scrape may take, in seconds: the
/// X-Prometheus-Scrape-Timeout-Seconds header value (nullptr or malformed:
/// `scrape.default_timeout`), lowered to `scrape.max_timeout`, minus
/// `scrape.timeout_offset` (but at least half the timeout).
double ScrapeBudgetSeconds(const ScrapeSettings& scrape,
                           const char* timeout_header);

/// The version string baked in at build time.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace mailflow
