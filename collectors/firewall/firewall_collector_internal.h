// Internal to the firewall collector (firewall_collector*.cc): its options,
// one backend's result and the collector, shared by the scrape and the
// kernel backends (firewall_collector.cc), the managers' configurations
// (firewall_collector_managers.cc) and the metric families
// (firewall_collector_metrics.cc). Not a public header.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/metrics.h"
#include "collectors/firewall/firewall_collector.h"
#include "collectors/firewall/firewall_diagnosis.h"
#include "collectors/firewall/firewall_options.h"
#include "lib/base/file_util.h"
#include "lib/firewall/nft_evaluator.h"
#include "lib/firewall/verdict.h"

namespace mailflow::firewall_collector_internal {

using firewall::NftEvaluator;
using firewall::Outcome;
using firewall::Reason;
using firewall::Verdict;

bool Exists(const std::string& path);
std::string ReadOrEmpty(const std::string& path);

using BackendResult = FirewallBackend;

// The change signals of the kernel's rulesets (lib/firewall/
// ruleset_generation.h). `known` is false when one could not be read: then
// nothing is reused.
struct KernelSignals {
  bool known = false;
  uint32_t nft_generation = 0;
  uint64_t xtables = 0;
  bool operator==(const KernelSignals&) const = default;
};

// What one read of the kernel's rulesets found, and what it depended on.
struct KernelView {
  bool reusable = false;  // read without error under known signals
  KernelSignals signals;
  std::set<int> ports;
  bool ipv6 = false;
  Deadline::Clock::time_point read_at;
  BackendResult nft, legacy;
  std::vector<std::string> nft_tables;
  std::vector<std::string> errors;
};

// Files a manager's verdict was computed from: path and identity (an absent
// file has the default identity), in a fixed order.
using FileSet = std::vector<std::pair<std::string, FileIdentity>>;

// One manager's verdicts, reused while its files and the ports are as
// they were.
struct ManagerView {
  bool reusable = false;  // every file settled when read
  FileSet files;
  std::set<int> ports;
  BackendResult result;
};

class FirewallCollector : public Collector, public Diagnosable {
 public:
  FirewallCollector(FirewallOptions o,
                    std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(o)), snapshots_(std::move(snapshots)) {}
  std::string_view Name() const override { return "firewall"; }

  Status Collect(Deadline scrape_deadline,
                 std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    FirewallFindings(seen_, out);
  }

 private:
  // The watched ports and, in *served, those an enabled master.cf service
  // uses (every watched port when the configuration cannot be read).
  std::set<int> WatchedPorts(std::set<int>* served) const;

  // --- the kernel's rulesets (firewall_collector_kernel.cc)
  KernelSignals ReadSignals(bool nft_present) const;
  // The cached view when nothing it depends on moved, else a fresh read.
  const KernelView& Kernel(const std::set<int>& ports, bool ipv6,
                           Deadline deadline);
  void ReadNft(Deadline deadline, KernelView* v);
  void ReadLegacy(Deadline deadline, KernelView* v);
  // Parses nft JSON; when rules of the ip/ip6 families carry opaque xt
  // expressions (iptables-nft), replaces the tables iptables-nft-save
  // prints with their translation of its text form.
  bool LoadNft(const std::string& text, Deadline deadline, NftEvaluator* ev,
               std::string* err);

  // --- ufw's and firewalld's configuration (firewall_collector_managers.cc)
  void CollectUfw(const std::set<int>& ports, BackendResult* r);
  void CollectFirewalld(const std::set<int>& ports,
                        const std::vector<std::string>& nft_tables,
                        bool nft_readable, BackendResult* r);
  void EvaluateFirewalld(const std::set<int>& ports, BackendResult* r) const;

  // --- metric families and logs (firewall_collector_metrics.cc)
  static void AddVerdicts(FamilyBuilder* f, FamilyBuilder* reason,
                          const std::string& backend, const BackendResult& b);
  void EmitMetrics(const std::set<int>& ports, const BackendResult& nft,
                   const BackendResult& legacy, const BackendResult& ufw,
                   const BackendResult& firewalld,
                   std::vector<prometheus::MetricFamily>* out) const;
  static void LogVerdicts(const std::string& backend, const BackendResult& b);

  FirewallOptions options_;
  // Collect() never runs concurrently on one instance (CollectorSet).
  KernelView kernel_;
  ManagerView ufw_, firewalld_;
  uint64_t nft_reads_ = 0, legacy_reads_ = 0;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  FirewallFacts seen_;  // the last Collect(), for Diagnose()
};

}  // namespace mailflow::firewall_collector_internal
