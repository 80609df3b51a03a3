// RoundPlanner: the targets of one background probe round of the smtp
// collector (explicit targets, MX hosts, relayhost, port-25 controls,
// self-probes), each with its probe settings.
#pragma once

#include <atomic>
#include <set>
#include <vector>

#include "collectors/smtp/smtp_options.h"
#include "collectors/smtp/smtp_round_state.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow::smtp_collector {

/// Plans rounds for `options`. Resolves MX and relayhost names through the
/// configured resolvers only (bounded by their timeouts and `*stop`); reads
/// main.cf/master.cf through `snapshots` for `relayhost: auto` and
/// `self_probe_addresses: auto`. The pointers must outlive it; not
/// thread-safe (the round thread's).
class RoundPlanner {
 public:
  RoundPlanner(const SmtpOptions* options, PostfixSnapshotCache* snapshots,
               const std::atomic<bool>* stop)
      : options_(*options), snapshots_(snapshots), stop_(stop) {}

  /// Whether anything is probed in the background.
  static bool HasTargets(const SmtpOptions& options);

  /// The probes of the next round, each series once, at most max_targets
  /// (the rest is logged).
  std::vector<PlannedProbe> Plan();

 private:
  ProbeSpec Spec(const Endpoint& ep) const;
  void Add(std::vector<PlannedProbe>* plan, std::set<SeriesKey>* seen,
           const char* direction, ProbeSpec spec);
  std::vector<Endpoint> RelayhostEndpoints();
  /// The (address, port) pairs of the inbound self-probe.
  std::vector<Endpoint> SelfEndpoints();

  const SmtpOptions& options_;
  PostfixSnapshotCache* const snapshots_;
  const std::atomic<bool>* const stop_;
};

}  // namespace mailflow::smtp_collector
