// libFuzzer entry: the YAML configuration, every collector's options (each
// compiled-in collector's factory validates its section, as --config.check
// does: no threads, no traffic) and Prometheus durations.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/registry.h"
#include "config/config.h"
#include "config/config_map.h"
#include "exporter/collector_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Durations: never above the bound, and their shortest form parses back.
  std::chrono::milliseconds d{};
  if (mailflow::ParseDuration(std::string_view(text).substr(0, 64), &d)) {
    if (d < std::chrono::milliseconds(0) || d > mailflow::kMaxDuration) {
      __builtin_trap();
    }
    std::chrono::milliseconds back{};
    if (!mailflow::ParseDuration(mailflow::FormatDuration(d), &back) ||
        back != d) {
      __builtin_trap();
    }
  }
  mailflow::Config config;
  std::string err;
  if (!mailflow::ParseConfig(text, "fuzz.yml", &config, &err)) {
    // Errors name the file: "fuzz.yml:LINE:COL: ..." or "fuzz.yml: ...".
    if (err.rfind("fuzz.yml", 0) != 0) __builtin_trap();
    return 0;
  }
  if (config.scrape.default_timeout > config.scrape.max_timeout) {
    __builtin_trap();
  }
  (void)mailflow::CollectorSet::Build(mailflow::BuiltinRegistry(), config,
                                      mailflow::CollectorSelection(), &err);
  return 0;
}
