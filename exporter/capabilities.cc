#include "exporter/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mailflow {

namespace {

struct Wanted {
  int cap;
  const char* name;
  const char* purpose;
};

// What each collector needs beyond an unprivileged user (docs/metrics.md,
// packaging/mailflow-exporter.service).
constexpr Wanted kWanted[] = {
    {CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH",
     "queue: read the spool; log: read mail.log and the journal"},
    {CAP_NET_ADMIN, "CAP_NET_ADMIN", "firewall: read the nftables ruleset"},
    {CAP_SYS_PTRACE, "CAP_SYS_PTRACE",
     "listen: name the process owning a socket (optional)"},
};

struct Sets {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

  bool Get() { return syscall(SYS_capget, &header, data) == 0; }
  bool Set() { return syscall(SYS_capset, &header, data) == 0; }
  static uint32_t Bit(int cap) { return 1u << (cap % 32); }
  bool Permitted(int cap) const { return data[cap / 32].permitted & Bit(cap); }
};

std::string Errno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

CapabilityReport SetUpCapabilities() {
  CapabilityReport report;
  report.root = geteuid() == 0;
  Sets sets;
  if (!sets.Get()) {
    report.error = Errno("capget");
    return report;
  }
  // Root reads what CAP_DAC_READ_SEARCH would let it read with
  // CAP_DAC_OVERRIDE (in every container runtime's default set).
  const bool override_dac = report.root && sets.Permitted(CAP_DAC_OVERRIDE);
  Sets want;
  for (const Wanted& w : kWanted) {
    CapabilityUse use{w.name, w.purpose, sets.Permitted(w.cap)};
    if (w.cap == CAP_DAC_READ_SEARCH && override_dac) use.held = true;
    report.uses.push_back(use);
    if (!use.held) continue;
    want.data[w.cap / 32].permitted |= Sets::Bit(w.cap);
  }
  if (report.root) return report;
  for (auto& d : want.data) d.effective = d.inheritable = d.permitted;
  if (!want.Set()) {
    report.error = Errno("capset");
    return report;
  }
  // Ambient: kept across execve of the nft/iptables helpers, which carry no
  // file capabilities of their own. Clearing first drops any others.
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (const Wanted& w : kWanted) {
    if (!want.Permitted(w.cap)) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, w.cap, 0, 0) != 0) {
      report.error = Errno("prctl(PR_CAP_AMBIENT_RAISE)");
    }
  }
  return report;
}

void DropAllCapabilities() {
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (geteuid() == 0) return;
  Sets none;
  none.Set();
}

std::string DescribeCapabilities(const CapabilityReport& report) {
  std::string held, missing;
  for (const CapabilityUse& u : report.uses) {
    std::string& list = u.held ? held : missing;
    if (!list.empty()) list += ", ";
    list += u.name;
    list += " (";
    list += u.purpose;
    list += ')';
  }
  std::string out = report.root ? "running as root; " : "";
  out += "capabilities held: ";
  out += held.empty() ? "none" : held;
  if (!missing.empty()) out.append("; missing: ").append(missing);
  if (!report.error.empty()) out.append("; ").append(report.error);
  return out;
}

}  // namespace mailflow
