#include "collectors/queue/envelope_cache.h"

#include <gtest/gtest.h>

namespace mailflow::queue_collector {
namespace {

QueueFileEnvelope Envelope(std::vector<std::pair<std::string, uint32_t>> d,
                           uint32_t other = 0) {
  QueueFileEnvelope env;
  env.domains = std::move(d);
  env.other_domain_recipients = other;
  return env;
}

TEST(EnvelopeCacheTest, StoresAndCountsDomains) {
  EnvelopeCache cache(100);
  auto it = cache.Insert("A1");
  cache.StoreDomains(Envelope({{"x.example", 2}, {"y.example", 1}}, 3),
                     &it->second);
  auto jt = cache.Insert("B2");
  cache.StoreDomains(Envelope({{"x.example", 5}}), &jt->second);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.domains().held(), 2u);

  std::vector<uint64_t> counts(cache.domains().size(), 0);
  for (auto& [id, m] : cache) EnvelopeCache::AddDomainCounts(m, &counts);
  uint64_t x = 0, y = 0;
  for (uint32_t id = 1; id < counts.size(); ++id) {
    if (cache.domains().name(id) == "x.example") x = counts[id];
    if (cache.domains().name(id) == "y.example") y = counts[id];
  }
  EXPECT_EQ(x, 7u);
  EXPECT_EQ(y, 1u);
  EXPECT_EQ(counts[DomainTable::kOther], 3u);

  // Erasing releases the message's domains; re-storing replaces them.
  cache.Erase(cache.find("A1"));
  EXPECT_EQ(cache.domains().held(), 1u);
  cache.StoreDomains(Envelope({{"z.example", 1}}), &cache.find("B2")->second);
  EXPECT_EQ(cache.domains().held(), 1u);
  EXPECT_EQ(cache.find("A1"), cache.end());
}

TEST(EnvelopeCacheTest, DomainsBeyondTheCapAreOther) {
  EnvelopeCache cache(1);
  auto it = cache.Insert("A1");
  cache.StoreDomains(Envelope({{"a.example", 1}, {"b.example", 2}}, 4),
                     &it->second);
  std::vector<uint64_t> counts(cache.domains().size(), 0);
  EnvelopeCache::AddDomainCounts(it->second, &counts);
  EXPECT_EQ(counts[DomainTable::kOther], 6u);
  EXPECT_GT(EnvelopeCache::BytesPerMessage(), sizeof(CachedMessage));
}

}  // namespace
}  // namespace mailflow::queue_collector
