#include "config/config.h"

#include <algorithm>

namespace mailflow {

namespace {

bool ParsePaths(ConfigMap map, HostPaths* paths, std::string* err) {
  return map.GetString("postfix_config_directory",
                       &paths->postfix_config_directory, err) &&
         map.GetString("proc", &paths->proc, err) &&
         map.GetString("etc", &paths->etc, err) && map.Finish(err);
}

bool ParseScrape(ConfigMap map, ScrapeSettings* s, std::string* err) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  if (!map.GetDuration("default_timeout", milliseconds(1), minutes(10),
                       &s->default_timeout, err) ||
      !map.GetDuration("max_timeout", milliseconds(1), minutes(10),
                       &s->max_timeout, err) ||
      !map.GetDuration("timeout_offset", milliseconds(0), minutes(1),
                       &s->timeout_offset, err) ||
      !map.GetInt("max_collection_cpu_percent", 0, 100,
                  &s->max_collection_cpu_percent, err) ||
      !map.GetInt("max_requests_per_client", 0, 10000,
                  &s->max_requests_per_client, err)) {
    return false;
  }
  // Only an explicit default_timeout can contradict max_timeout; the
  // built-in one is lowered to it.
  if (!map.Has("default_timeout")) {
    s->default_timeout = std::min(s->default_timeout, s->max_timeout);
  } else if (s->default_timeout > s->max_timeout) {
    *err = map.Where("default_timeout") +
           ": \"default_timeout\" must not exceed \"max_timeout\" (" +
           FormatDuration(s->max_timeout) + ")";
    return false;
  }
  return map.Finish(err);
}

bool ParseCollectors(ConfigMap map, Config* config, std::string* err) {
  for (const std::string& name : map.Keys()) {
    ConfigMap section;
    if (!map.GetMap(name, &section, err)) return false;
    CollectorSection cs;
    bool enabled = false;
    if (section.Has("enabled")) {
      if (!section.GetBool("enabled", &enabled, err)) return false;
      cs.enabled = enabled;
    }
    cs.options = section;
    config->collectors[name] = std::move(cs);
  }
  return map.Finish(err);
}

}  // namespace

bool ParseConfig(const std::string& text, const std::string& source,
                 Config* out, std::string* err) {
  ConfigMap root;
  if (!ConfigMap::Parse(text, source, &root, err)) return false;
  Config config;
  config.source = source;
  ConfigMap paths, scrape, collectors;
  if (!root.GetMap("paths", &paths, err) ||
      !ParsePaths(paths, &config.paths, err) ||
      !root.GetMap("scrape", &scrape, err) ||
      !ParseScrape(scrape, &config.scrape, err) ||
      !root.GetIntList("smtp_ports", 1, 65535, &config.smtp_ports, err) ||
      !root.GetMap("collectors", &collectors, err) ||
      !ParseCollectors(collectors, &config, err) || !root.Finish(err)) {
    return false;
  }
  *out = std::move(config);
  return true;
}

bool LoadConfigFile(const std::string& path, Config* out, std::string* err) {
  std::string text;
  return ReadConfigFile(path, &text, err) && ParseConfig(text, path, out, err);
}

Config DefaultConfig() { return Config(); }

void ApplyOverrides(const std::vector<CollectorOverride>& overrides,
                    Config* config) {
  for (const CollectorOverride& o : overrides) {
    config->collectors[o.collector].options.Override(o.key, o.value, o.origin);
  }
}

}  // namespace mailflow
