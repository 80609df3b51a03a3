// DnsState: the accumulated results of the dns collector's probe rounds,
// written by the round thread and read by scrapes; it survives a reload
// with unchanged options (CarryOver).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "collectors/common/carry_over.h"
#include "collectors/dns/dns_collector.h"
#include "collectors/dns/dns_diagnosis.h"
#include "lib/base/histogram.h"
#include "lib/dns/dns_prober.h"

namespace mailflow::dns_collector {

struct Counters {
  uint64_t by_result[std::size(kAllDnsResults)] = {};
};

struct RblState {
  CumulativeHistogram hist{DnsDurationBuckets()};
  Counters counters;
  bool listed = false;
  bool have_result = false;
  std::string resolver;
};

struct ReverseState {
  bool ptr_present = false;
  bool forward_confirmed = false;
  bool matches_myhostname = false;
};

struct RoundSummary {
  bool done = false;
  double timestamp = 0;
  double duration = 0;
  size_t sent = 0;
  size_t skipped = 0;
  std::map<std::string, bool> answering;           // resolver label
  std::map<std::string, double> first_median;      // resolver label
  std::map<std::string, double> repeat_median;     // resolver label
  std::map<std::string, std::pair<int, bool>> mx;  // domain -> count, null
  std::map<std::string, ReverseState> reverse;     // address
  /// Per resolver label: the round's lookups and failures (no RBL tests).
  std::map<std::string, DnsResolverRound> resolvers;
};

constexpr size_t kMaxResolverLabels = 16;

/// What survives a reload with unchanged options (CarryOver): results,
/// counters and the schedule. Thread-safe through `mu`.
class DnsState {
 public:
  RoundClock clock;
  std::mutex mu;                       // guards everything below
  std::condition_variable round_done;  // notified when `last` is replaced
  // (type, resolver) -> histogram / counters
  std::map<std::pair<std::string, std::string>, CumulativeHistogram> hist;
  std::map<std::pair<std::string, std::string>, Counters> counters;
  std::map<std::string, CumulativeHistogram> mx_hist;  // domain label
  std::map<std::string, Counters> mx_counters;         // domain label
  std::map<std::string, RblState> rbl;                 // zone
  RoundSummary last;

  // REQUIRES: mu held.
  std::string ResolverLabel(const std::string& label) {
    if (known_resolvers_.count(label)) return label;
    if (known_resolvers_.size() >= kMaxResolverLabels) return "other";
    known_resolvers_.insert(label);
    return label;
  }

 private:
  std::set<std::string> known_resolvers_;
};

}  // namespace mailflow::dns_collector
