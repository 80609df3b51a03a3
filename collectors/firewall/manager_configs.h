// ManagerConfigs: what the saved configurations of ufw and firewalld say
// about each watched port (their verdicts beside the kernel's).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collectors/firewall/firewall_diagnosis.h"
#include "collectors/firewall/firewall_options.h"
#include "lib/base/file_util.h"

namespace mailflow::firewall_collector {

/// Files a manager's verdict was computed from: path and identity (an
/// absent file has the default identity), in a fixed order.
using FileSet = std::vector<std::pair<std::string, FileIdentity>>;

/// One manager's verdicts, reused while its files and the ports are as
/// they were.
struct ManagerView {
  bool reusable = false;  // every file settled when read
  FileSet files;
  std::set<int> ports;
  FirewallBackend result;
};

/// Reads ufw's and firewalld's configuration under the directories of
/// `options`; each manager's files are parsed again only when one of them
/// changed identity (one stat per file per call otherwise).
/// Not thread-safe (one Collect() at a time). `options` must outlive it.
class ManagerConfigs {
 public:
  explicit ManagerConfigs(const FirewallOptions* options)
      : options_(*options) {}

  /// ufw.conf, the defaults file and user*.rules into `*r` (left as is
  /// when ufw.conf is absent).
  void Ufw(const std::set<int>& ports, FirewallBackend* r);
  /// firewalld's zones and services into `*r`; it counts as enabled only
  /// when its table is among the kernel's `nft_tables`.
  void Firewalld(const std::set<int>& ports,
                 const std::vector<std::string>& nft_tables, bool nft_readable,
                 FirewallBackend* r);

 private:
  void EvaluateFirewalld(const std::set<int>& ports, FirewallBackend* r) const;

  const FirewallOptions& options_;
  ManagerView ufw_, firewalld_;
};

}  // namespace mailflow::firewall_collector
