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

}  // namespace
}  // namespace mailflow::queue_collector
