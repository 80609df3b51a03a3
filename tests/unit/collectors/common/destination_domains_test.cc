#include "collectors/common/destination_domains.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace mailflow {
namespace {

TEST(DestinationDomainsTest, NothingPublishedYet) {
  DestinationDomains board;
  EXPECT_TRUE(board.Top(5).empty());
  EXPECT_EQ(board.published_at(), 0);
}

TEST(DestinationDomainsTest, TopKeepsOrderAndLastPublishWins) {
  DestinationDomains board;
  board.Publish({{"a.example", 9}, {"b.example", 5}, {"c.example", 1}}, 100);
  EXPECT_EQ(board.Top(2), (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(board.Top(10).size(), 3u);
  EXPECT_EQ(board.published_at(), 100);
  board.Publish({{"d.example", 3}}, 160);
  EXPECT_EQ(board.Top(10), (std::vector<std::string>{"d.example"}));
  board.Publish({}, 220);  // the deferred queue emptied
  EXPECT_TRUE(board.Top(10).empty());
  EXPECT_EQ(board.published_at(), 220);
}

TEST(DestinationDomainsTest, BoundedSize) {
  DestinationDomains board;
  std::vector<std::pair<std::string, uint64_t>> many;
  for (size_t i = 0; i < DestinationDomains::kMaxDomains + 50; ++i) {
    many.emplace_back("d" + std::to_string(i) + ".example", 1);
  }
  board.Publish(many, 1);
  EXPECT_EQ(board.Top(100000).size(), DestinationDomains::kMaxDomains);
}

TEST(DestinationDomainsTest, PublishAndReadFromTwoThreads) {
  DestinationDomains board;
  std::thread writer([&board] {
    for (int i = 0; i < 2000; ++i) {
      board.Publish({{"w" + std::to_string(i) + ".example", 1}}, i + 1);
    }
  });
  size_t seen = 0;
  for (int i = 0; i < 2000; ++i) seen += board.Top(1).size();
  writer.join();
  EXPECT_LE(seen, 2000u);
  EXPECT_EQ(board.Top(1), (std::vector<std::string>{"w1999.example"}));
}

}  // namespace
}  // namespace mailflow
