// EnvelopeCache: what the queue scanner remembers of each queue file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collectors/queue/domain_table.h"
#include "lib/postfix/defer_reason.h"
#include "lib/postfix/queue_file.h"

namespace mailflow::queue_collector {

/// Pending recipients of one message to one destination domain.
struct DomainCount {
  uint32_t id;  // DomainTable id
  uint32_t count;
};

/// The compact per-message cache entry: the envelope facts that /metrics
/// needs, and the file identity that says when to read it again.
struct CachedMessage {
  uint64_t inode = 0;
  int64_t ctime_ns = 0;
  int64_t arrival = 0;
  int64_t create_time = 0;
  uint64_t size = 0;
  int64_t defer_mtime_ns = -1;  // -1: no defer log read
  uint64_t defer_size = 0;
  uint32_t gen = 0;        // the scan that last saw the file
  uint32_t defer_gen = 0;  // ... and its defer log
  uint32_t dir = 0;        // QueueWalker dir id of its queue directory
  uint32_t defer_dir = 0;  // ... and of its defer log's directory
  uint8_t queue = 0;       // QueueName
  bool corrupt = false;
  uint16_t reasons[kDeferReasonCount] = {};
  DomainCount first_domain{DomainTable::kOther, 0};
  std::unique_ptr<std::vector<DomainCount>> more_domains;
};

/// Queue id -> CachedMessage, with the messages' destination domains
/// interned in one DomainTable (at most `max_domains` names). Not
/// thread-safe (owned by one QueueScanner).
class EnvelopeCache {
 public:
  using Map = std::unordered_map<std::string, CachedMessage>;

  explicit EnvelopeCache(size_t max_domains) : domains_(max_domains) {}

  Map::iterator find(const std::string& id) { return map_.find(id); }
  Map::iterator begin() { return map_.begin(); }
  Map::iterator end() { return map_.end(); }
  size_t size() const { return map_.size(); }
  /// A new, empty entry for `id`. REQUIRES: `id` not cached.
  Map::iterator Insert(std::string id) {
    return map_.emplace(std::move(id), CachedMessage()).first;
  }
  /// Forgets an entry and its domain references; returns the next one.
  Map::iterator Erase(Map::iterator it);

  /// Replaces `*m`'s domains with the pending recipients of `env`.
  void StoreDomains(const QueueFileEnvelope& env, CachedMessage* m);
  /// Adds `m`'s pending recipients per domain id to `(*counts)[id]`.
  /// REQUIRES: counts->size() >= domains().size().
  static void AddDomainCounts(const CachedMessage& m,
                              std::vector<uint64_t>* counts);
  const DomainTable& domains() const { return domains_; }

  /// Approximate heap bytes per cached message.
  static size_t BytesPerMessage();

 private:
  void ReleaseDomains(CachedMessage* m);

  Map map_;
  DomainTable domains_;
};

}  // namespace mailflow::queue_collector
