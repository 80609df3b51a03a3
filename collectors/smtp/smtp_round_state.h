// SmtpRoundState: the accumulated results of the smtp collector's
// background probe rounds, written by the round thread and read by scrapes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "collectors/common/carry_over.h"
#include "lib/base/histogram.h"
#include "lib/smtp/smtp_prober.h"

namespace mailflow::smtp_collector {

/// Phase duration buckets, 5 ms .. 30 s.
const std::vector<double>& PhaseBuckets();

/// One probe series: direction (outbound, relayhost, control, inbound),
/// target address and port.
struct SeriesKey {
  std::string direction;
  std::string target;
  uint16_t port = 0;
  bool operator<(const SeriesKey& o) const {
    return std::tie(direction, target, port) <
           std::tie(o.direction, o.target, o.port);
  }
};

/// The accumulated results of one series.
struct SeriesState {
  uint64_t results[kNumProbeResults] = {};
  std::vector<CumulativeHistogram> phases;
  bool probed = false;
  ProbeResult last = ProbeResult::kOk;
  std::string detail;  // the last probe's, e.g. "connect: timed out"
  bool ehlo_done = false;
  bool starttls_offered = false;
  double cert_not_after = 0;
  SeriesState() {
    for (int i = 0; i < kNumProbePhases; ++i)
      phases.emplace_back(PhaseBuckets());
  }
};

/// What survives a reload with unchanged options (CarryOver): results,
/// counters and the schedule. Thread-safe through `mu`.
/// One probe of a round and the series it counts in.
struct PlannedProbe {
  SeriesKey key;
  ProbeSpec spec;
};

struct SmtpRoundState {
  RoundClock clock;
  std::mutex mu;                       // guards everything below
  std::condition_variable round_done;  // notified when a round ends
  std::map<SeriesKey, SeriesState> series;
  bool port25_known = false;
  bool port25_blocked = false;
  double last_run = 0;
  double round_seconds = 0;

  /// Records a finished round: `outcomes[i]` of `plan[i]`, the round's
  /// duration, and whether port 25 looks blocked (some host's port 25
  /// timed out while its control port connected, and no port-25 target
  /// connected at all; known only with `control_ports`). Series of targets
  /// gone from the plan disappear. Takes `mu`; notifies round_done.
  /// REQUIRES: outcomes.size() == plan.size().
  void Record(const std::vector<PlannedProbe>& plan,
              const std::vector<ProbeOutcome>& outcomes, double seconds,
              bool control_ports);
};

}  // namespace mailflow::smtp_collector
