#include "collectors/queue/domain_table.h"

#include <gtest/gtest.h>

namespace mailflow::queue_collector {
namespace {

TEST(DomainTableTest, InternsWithReferenceCounts) {
  DomainTable t(10);
  const uint32_t a = t.Acquire("example.org");
  EXPECT_NE(a, DomainTable::kOther);
  EXPECT_EQ(t.Acquire("example.org"), a);
  EXPECT_EQ(t.name(a), "example.org");
  EXPECT_EQ(t.name(DomainTable::kOther), "other");
  EXPECT_EQ(t.held(), 1u);
  t.Release(a);
  EXPECT_EQ(t.name(a), "example.org");  // one reference left
  t.Release(a);
  EXPECT_EQ(t.held(), 0u);
  EXPECT_EQ(t.name(a), "");
  // The freed id is reused; the table does not grow.
  const size_t size = t.size();
  EXPECT_EQ(t.Acquire("example.net"), a);
  EXPECT_EQ(t.size(), size);
}

TEST(DomainTableTest, OverflowAndEmptyNamesAreOther) {
  DomainTable t(1);
  EXPECT_EQ(t.Acquire(""), DomainTable::kOther);
  const uint32_t a = t.Acquire("a.example");
  EXPECT_EQ(t.Acquire("b.example"), DomainTable::kOther);  // over the cap
  t.Release(DomainTable::kOther);                          // ignored
  t.Release(999);                                          // not held: ignored
  EXPECT_EQ(t.name(DomainTable::kOther), "other");
  t.Release(a);
  t.Release(a);  // already freed: ignored
  EXPECT_NE(t.Acquire("b.example"), DomainTable::kOther);
}

TEST(RankDomainsTest, MergesCachedAndUncachedByCountThenName) {
  DomainTable t(10);
  const uint32_t a = t.Acquire("a.example");
  const uint32_t b = t.Acquire("b.example");
  std::vector<uint64_t> by_id(t.size(), 0);
  by_id[a] = 5;
  by_id[b] = 2;
  by_id[DomainTable::kOther] = 1;
  std::unordered_map<std::string, uint64_t> by_name = {
      {"b.example", 3}, {"c.example", 5}, {"other", 2}, {"", 1}};
  using Ranked = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(RankDomains(by_name, t, by_id, 2),
            (Ranked{{"a.example", 5}, {"b.example", 5}, {"other", 9}}));
  EXPECT_EQ(
      RankDomains(by_name, t, by_id, 10),
      (Ranked{
          {"a.example", 5}, {"b.example", 5}, {"c.example", 5}, {"other", 4}}));
  EXPECT_EQ(RankDomains({}, t, std::vector<uint64_t>(t.size(), 0), 10),
            Ranked{});  // nothing deferred: no "other" either
}

}  // namespace
}  // namespace mailflow::queue_collector
