// KernelRulesets: the firewall collector's view of the rulesets the kernel
// runs (nftables, iptables-legacy), read and evaluated again only when a
// change signal moved.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "collectors/firewall/firewall_diagnosis.h"
#include "collectors/firewall/firewall_options.h"
#include "lib/base/deadline.h"
#include "lib/firewall/nft_evaluator.h"

namespace mailflow::firewall_collector {

/// The change signals of the kernel's rulesets (lib/firewall/
/// ruleset_generation.h). `known` is false when one could not be read:
/// then nothing is reused.
struct KernelSignals {
  bool known = false;
  uint32_t nft_generation = 0;
  uint64_t xtables = 0;
  bool operator==(const KernelSignals&) const = default;
};

/// What one read of the kernel's rulesets found, and what it depended on.
struct KernelView {
  bool reusable = false;  // read without error under known signals
  KernelSignals signals;
  std::set<int> ports;
  bool ipv6 = false;
  Deadline::Clock::time_point read_at;
  FirewallBackend nft, legacy;
  std::vector<std::string> nft_tables;  // "FAMILY NAME"
  std::vector<std::string> errors;
};

/// Reads the kernel's rulesets with the tools of `options` (nft -j, the
/// iptables-*-save commands) and evaluates each watched port. A view is
/// reused while the nftables generation, the x_tables fingerprint, the
/// ports, the address families and the nft tool's presence are unchanged
/// and ruleset_max_age has not passed.
/// Not thread-safe (one Collect() at a time). `options` must outlive it.
class KernelRulesets {
 public:
  explicit KernelRulesets(const FirewallOptions* options)
      : options_(*options) {}

  /// The cached view when nothing it depends on moved, else a fresh read
  /// bounded by `deadline`. Valid until the next call.
  const KernelView& Read(const std::set<int>& ports, bool ipv6,
                         Deadline deadline);

  /// How often each backend's ruleset was read (a counter).
  uint64_t nft_reads() const { return nft_reads_; }
  uint64_t legacy_reads() const { return legacy_reads_; }

 private:
  KernelSignals ReadSignals(bool nft_present) const;
  void ReadNft(Deadline deadline, KernelView* v);
  void ReadLegacy(Deadline deadline, KernelView* v);
  // Parses nft JSON; when rules of the ip/ip6 families carry opaque xt
  // expressions (iptables-nft), replaces the tables iptables-nft-save
  // prints with their translation of its text form.
  bool LoadNft(const std::string& text, Deadline deadline,
               firewall::NftEvaluator* ev, std::string* err);

  const FirewallOptions& options_;
  KernelView view_;
  uint64_t nft_reads_ = 0, legacy_reads_ = 0;
};

}  // namespace mailflow::firewall_collector
