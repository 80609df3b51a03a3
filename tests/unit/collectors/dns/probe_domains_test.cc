// Which MX names a DNS round looks up: the configured domains and, with
// domains_from_queue, the deferred queue's top destination domains.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/dns/dns_round.h"

namespace mailflow {
namespace {

using dns_collector::ProbeDomain;
using dns_collector::ProbeDomainsFor;

// name/label/source, one string per domain, for readable expectations.
std::vector<std::string> Describe(const std::vector<ProbeDomain>& domains) {
  std::vector<std::string> out;
  for (const auto& d : domains) {
    out.push_back(d.name + "/" + d.label + (d.from_queue ? "/queue" : ""));
  }
  return out;
}

TEST(ProbeDomainsTest, ConfiguredOnlyByDefault) {
  DnsOptions o;
  o.domains = {"a.example", "b.example", "c.example"};
  o.max_domains = 2;
  DestinationDomains queue;
  queue.Publish({{"q.example", 10}}, 1);
  EXPECT_EQ(
      Describe(ProbeDomainsFor(o, queue)),
      (std::vector<std::string>{"a.example/a.example", "b.example/b.example",
                                "c.example/other"}));
}

TEST(ProbeDomainsTest, QueueDomainsAfterConfiguredOnes) {
  DnsOptions o;
  o.domains = {"a.example"};
  o.domains_from_queue = 3;
  DestinationDomains queue;
  queue.Publish({{"A.Example.", 50},   // configured already
                 {"[192.0.2.1]", 40},  // an address literal: no MX
                 {"Gmail.COM", 30},    // folded to lower case
                 {"bad domain", 20},   // not a host name
                 {"other", 15},        // the queue's overflow bucket
                 {"x.example", 10},
                 {"y.example", 5},
                 {"z.example", 1}},  // beyond domains_from_queue
                1);
  EXPECT_EQ(Describe(ProbeDomainsFor(o, queue)),
            (std::vector<std::string>{
                "a.example/a.example", "gmail.com/gmail.com/queue",
                "x.example/x.example/queue", "y.example/y.example/queue"}));
}

TEST(ProbeDomainsTest, NothingPublished) {
  DnsOptions o;
  o.domains_from_queue = 5;
  DestinationDomains queue;
  EXPECT_TRUE(ProbeDomainsFor(o, queue).empty());
}

}  // namespace
}  // namespace mailflow
