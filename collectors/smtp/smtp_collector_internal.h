// Internal to the smtp collector (smtp_*.cc): what the options parser, the
// /probe handler, the probe rounds and the collector's scrape share. Not a
// public header.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "collectors/common/carry_over.h"
#include "collectors/smtp/smtp_collector.h"
#include "collectors/smtp/smtp_diagnosis.h"
#include "lib/base/histogram.h"

namespace mailflow {
namespace smtp_internal {

constexpr char kComponent[] = "smtp";

const std::vector<double>& PhaseBuckets();

TlsMode ModeFor(TlsChoice c, uint16_t port,
                const std::vector<uint16_t>& implicit_ports);

struct SeriesKey {
  std::string direction;
  std::string target;
  uint16_t port = 0;
  bool operator<(const SeriesKey& o) const {
    return std::tie(direction, target, port) <
           std::tie(o.direction, o.target, o.port);
  }
};

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

// What survives a reload with unchanged options (CarryOver): results,
// counters and the schedule.
struct SmtpRoundState {
  RoundClock clock;
  std::mutex mu;                       // guards everything below
  std::condition_variable round_done;  // notified when a round ends
  std::map<SeriesKey, SeriesState> series;
  bool port25_known = false;
  bool port25_blocked = false;
  double last_run = 0;
  double round_seconds = 0;
};

struct PlannedProbe {
  SeriesKey key;
  ProbeSpec spec;
};

class SmtpCollector : public Collector, public Diagnosable {
 public:
  SmtpCollector(SmtpOptions options, const CollectorContext& context,
                std::shared_ptr<SmtpRoundState> state)
      : options_(std::make_shared<const SmtpOptions>(std::move(options))),
        probes_(context.probes),
        snapshots_(context.postfix),
        state_(std::move(state)) {}

  ~SmtpCollector() override;

  std::string_view Name() const override { return "smtp"; }

  void Start() override;

  Status Collect(Deadline, std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    SmtpFindings(seen_, out);
  }
  // The first probe round (when anything is probed in the background).
  void WaitForResults(Deadline deadline) override;

 private:
  // Probe rounds (smtp_collector_round.cc).
  bool HasBackgroundTargets() const;
  ProbeSpec Spec(const Endpoint& ep) const;
  void Add(std::vector<PlannedProbe>* plan, std::set<SeriesKey>* seen,
           const char* direction, ProbeSpec spec);
  std::vector<Endpoint> RelayhostEndpoints();
  /// The (address, port) pairs of the inbound self-probe.
  std::vector<Endpoint> SelfEndpoints();
  std::vector<PlannedProbe> Plan();
  void RunRound();

  void Loop();
  // REQUIRES: state_->mu held.
  SmtpFacts FactsLocked() const;

  std::shared_ptr<const SmtpOptions> options_;
  // Where Start() registers the /probe modules (the exporter's).
  const std::shared_ptr<ProbeRegistry> probes_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;

  const std::shared_ptr<SmtpRoundState> state_;  // never null
  SmtpFacts seen_;  // the last Collect(), for Diagnose()
};

}  // namespace smtp_internal
}  // namespace mailflow
