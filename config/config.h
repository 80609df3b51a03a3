// Config: the exporter's configuration, from YAML or the embedded defaults.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_map.h"

namespace mailflow {

/// Where the exporter looks on the host. Tests point these at fixture trees.
struct HostPaths {
  std::string postfix_config_directory = "/etc/postfix";
  std::string proc = "/proc";
  /// The host's /etc, compared with the chroot jail's copies.
  std::string etc = "/etc";
};

struct ScrapeSettings {
  /// Used when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds.
  std::chrono::milliseconds default_timeout{10000};
  /// The longest scrape a client may ask for with that header (larger
  /// values are lowered to it): a request cannot hold an HTTP worker for
  /// longer, whatever a collector does.
  std::chrono::milliseconds max_timeout{60000};
  /// Subtracted from the scrape timeout to leave time for serialization.
  std::chrono::milliseconds timeout_offset{500};
  /// Collections for /metrics use at most this percentage of one CPU (the
  /// duty cycle of exporter/scrape_coalescer.h); 0: no limit.
  int64_t max_collection_cpu_percent = 50;
  /// /metrics requests one client address may have in progress at once
  /// (exporter/client_limiter.h; 429 beyond); 0: no limit.
  int64_t max_requests_per_client = 16;
};

/// The `collectors.NAME` section: `enabled` plus the collector's own keys,
/// which the collector's factory reads (and rejects when unknown).
struct CollectorSection {
  std::optional<bool> enabled;
  ConfigMap options;
};

/// The whole configuration. Value type.
struct Config {
  std::string source = "<embedded default>";
  HostPaths paths;
  /// The SMTP ports watched by listen, postfix and firewall, besides the
  /// ports of the inet services enabled in master.cf (YAML `smtp_ports`).
  std::vector<int64_t> smtp_ports = {25, 587, 465};
  ScrapeSettings scrape;
  std::map<std::string, CollectorSection> collectors;
};

/// A collector setting given outside the file (a flag or an environment
/// variable, e.g. --collector.log.source / MAILFLOW_LOG_SOURCE): it replaces
/// `collectors.COLLECTOR.KEY` of the file or the defaults. Errors about it
/// name `origin`.
struct CollectorOverride {
  std::string collector;
  std::string key;
  std::string value;
  std::string origin;
};

/// Applies `overrides` to `config` (in order; a later one wins).
void ApplyOverrides(const std::vector<CollectorOverride>& overrides,
                    Config* config);

/// Parses a config document. `source` names it in errors
/// ("FILE:LINE:COLUMN: message"). Collector names are not checked here (the
/// registry knows them); see CollectorSet::Build.
bool ParseConfig(const std::string& text, const std::string& source,
                 Config* out, std::string* err);

/// Reads and parses a file. An unreadable file is an error naming it.
bool LoadConfigFile(const std::string& path, Config* out, std::string* err);

/// The configuration used when no file is given.
Config DefaultConfig();

}  // namespace mailflow
