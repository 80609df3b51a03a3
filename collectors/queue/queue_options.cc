#include "collectors/queue/queue_options.h"

#include <chrono>

namespace mailflow {
namespace {

// A count option of `m` read into a size_t field.
bool GetSize(ConfigMap* m, std::string_view key, int64_t min, int64_t max,
             size_t* out, std::string* err) {
  int64_t n = static_cast<int64_t>(*out);
  if (!m->GetInt(key, min, max, &n, err)) return false;
  *out = static_cast<size_t>(n);
  return true;
}

}  // namespace

bool ParseQueueOptions(const Config& config, ConfigMap m,
                       QueueCollectorOptions* out, std::string* err) {
  QueueCollectorOptions o = *out;
  o.config_directory = config.paths.postfix_config_directory;
  if (!m.GetString("queue_directory", &o.queue_directory, err)) return false;
  if (m.Has("maximal_queue_lifetime")) {
    std::chrono::milliseconds d{0};
    if (!m.GetDuration("maximal_queue_lifetime", std::chrono::milliseconds(0),
                       std::chrono::hours(24 * 365), &d, err)) {
      return false;
    }
    o.maximal_queue_lifetime = d.count() / 1000;
  }
  if (!GetSize(&m, "top_domains", 0, 1000, &o.scan.top_domains, err) ||
      !GetSize(&m, "max_tracked_messages", 0, 100000000,
               &o.scan.max_tracked_messages, err) ||
      !GetSize(&m, "max_domains", 1, 10000000, &o.scan.max_domains, err) ||
      !m.Finish(err)) {
    return false;
  }
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
