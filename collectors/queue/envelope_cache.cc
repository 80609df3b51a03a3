#include "collectors/queue/envelope_cache.h"

namespace mailflow::queue_collector {

EnvelopeCache::Map::iterator EnvelopeCache::Erase(Map::iterator it) {
  ReleaseDomains(&it->second);
  return map_.erase(it);
}

void EnvelopeCache::ReleaseDomains(CachedMessage* m) {
  if (m->first_domain.count > 0) domains_.Release(m->first_domain.id);
  if (m->more_domains) {
    for (const DomainCount& d : *m->more_domains) domains_.Release(d.id);
  }
  m->first_domain = {DomainTable::kOther, 0};
  m->more_domains.reset();
}

void EnvelopeCache::StoreDomains(const QueueFileEnvelope& env,
                                 CachedMessage* m) {
  ReleaseDomains(m);
  auto add = [&](uint32_t id, uint32_t n) {
    if (m->first_domain.count == 0) {
      m->first_domain = {id, n};
      return;
    }
    if (m->first_domain.id == id && id == DomainTable::kOther) {
      m->first_domain.count += n;
      domains_.Release(id);
      return;
    }
    if (!m->more_domains) {
      m->more_domains = std::make_unique<std::vector<DomainCount>>();
    }
    m->more_domains->push_back({id, n});
  };
  for (const auto& [name, n] : env.domains) add(domains_.Acquire(name), n);
  if (env.other_domain_recipients > 0) {
    add(DomainTable::kOther, env.other_domain_recipients);
  }
  if (m->more_domains) m->more_domains->shrink_to_fit();
}

void EnvelopeCache::AddDomainCounts(const CachedMessage& m,
                                    std::vector<uint64_t>* counts) {
  if (m.first_domain.count)
    (*counts)[m.first_domain.id] += m.first_domain.count;
  if (m.more_domains) {
    for (const DomainCount& d : *m.more_domains) (*counts)[d.id] += d.count;
  }
}

size_t EnvelopeCache::BytesPerMessage() {
  // unordered_map node (key + value + next pointer + cached hash) plus a
  // bucket pointer; ids up to 15 chars stay in the string's inline buffer.
  return sizeof(std::pair<const std::string, CachedMessage>) +
         2 * sizeof(void*) + sizeof(size_t) + sizeof(void*);
}

}  // namespace mailflow::queue_collector
