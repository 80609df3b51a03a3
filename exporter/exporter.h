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
#include "exporter/collector_set.h"
#include "lib/base/deadline.h"

namespace mailflow {

struct ExporterOptions {
  /// Empty: the embedded default configuration.
  std::string config_file;
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

  /// The deadline for a scrape, from the X-Prometheus-Scrape-Timeout-Seconds
  /// header value (nullptr or malformed: the configured default) minus the
  /// configured offset.
  Deadline ScrapeDeadline(const char* timeout_header) const;

  /// Runs all collectors and returns the text exposition format body.
  std::string Scrape(Deadline deadline);

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
};

/// The version string baked in at build time.
const char* ExporterVersion();
const char* ExporterRevision();

}  // namespace mailflow
