// Capabilities: the Linux capabilities the collectors use, made usable at
// start whichever way they were granted.
#pragma once

#include <string>
#include <vector>

namespace mailflow {

/// One capability a collector uses, and whether this process holds it.
struct CapabilityUse {
  const char* name;     // "CAP_DAC_READ_SEARCH"
  const char* purpose;  // "queue: read the spool (0700 postfix)"
  bool held = false;
};

/// What SetUpCapabilities() found and did.
struct CapabilityReport {
  bool root = false;  // euid 0: left as it was
  std::vector<CapabilityUse> uses;
  std::string error;  // empty unless capget/capset/prctl failed
};

/// Makes the capabilities the collectors use effective, and inheritable plus
/// ambient so that the nft/iptables commands the firewall collector runs get
/// CAP_NET_ADMIN too; drops every other permitted capability. They may come
/// from file capabilities on the binary (the container image: setcap ...+p,
/// so that the binary still starts when the runtime grants none), from
/// systemd's AmbientCapabilities (the .deb) or from setpriv/capsh. A process
/// running as root (euid 0) is left unchanged.
///
/// REQUIRES: called by the main thread before any other thread starts
/// (capability sets are per thread; new threads inherit them).
CapabilityReport SetUpCapabilities();

/// Drops every capability (for short-lived helper modes).
void DropAllCapabilities();

/// One log line: "held CAP_X (purpose), ...; missing CAP_Y (purpose)".
std::string DescribeCapabilities(const CapabilityReport& report);

}  // namespace mailflow
