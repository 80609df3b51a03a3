// Finding: one step of the troubleshooting guide as a collector saw it, with
// the evidence and the fix. The vocabulary between the collectors and the
// diagnosis (diagnose/): collectors produce findings next to their metric
// families; `mailflow_exporter diagnose`, the landing page and
// /diagnose?format=json render them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/deadline.h"
#include "lib/base/status.h"

namespace mailflow {

/// The steps of the troubleshooting guide, in the order a human checks them
/// (diagnose/steps.cc gives each its id and title).
enum class Step : uint8_t {
  kPostfixRunning = 0,  // the master process runs; main.cf/master.cf parse
  kListening,           // 25/587/465 listen on the right addresses
  kConfigApplied,       // inet_interfaces/master.cf vs the kernel's sockets
  kServices,            // master.cf services enabled
  kFirewall,            // the firewall's verdict per port and its rule
  kChroot,              // the chroot jail's copies of system files
  kDns,                 // resolvers, local cache, MX lookup latency
  kOutbound,            // outbound port 25 and why it fails
  kQueue,               // queue size, age, dominant defer reason
  kGreylisting,         // greylisting, inbound (policy) and outbound (log)
  kOpenRelay,           // open-relay risk
};
inline constexpr int kStepCount = 11;

/// Ordered by severity: kSkipped < kOk < kWarn < kFail.
enum class CheckStatus : uint8_t { kSkipped = 0, kOk, kWarn, kFail };

/// One fact behind a finding, quoted from where it was read.
struct Evidence {
  /// The fact as read: "LISTEN 127.0.0.1:25 master[1234]",
  /// "inet_interfaces = loopback-only", "tcp dport 25 drop".
  std::string text;
  /// Where: "/etc/postfix/main.cf:12", "/proc/net/tcp",
  /// "nft: inet filter input handle 7", "defer log of 4F2A1B2C3D".
  std::string source;
};

/// A verdict on (part of) a step. Severity follows the alert that watches
/// the same condition: critical -> kFail, warning -> kWarn, info -> kOk.
struct Finding {
  Step step = Step::kPostfixRunning;
  CheckStatus status = CheckStatus::kOk;
  /// What within the step, "" for the whole step: "port 25", "smtp/inet",
  /// "etc/resolv.conf", "resolver 127.0.0.1".
  std::string subject;
  /// One sentence, what was found (kSkipped: why it was not checked).
  std::string summary;
  std::vector<Evidence> evidence;
  /// The change that fixes it: a command or the config line to write.
  std::string fix;
  /// How the change takes effect: "postfix reload",
  /// "postfix stop && postfix start" (reload does not rebind), "".
  std::string apply;
  /// The alert whose runbook section explains it ("PostfixDown"): a
  /// heading of dashboards/runbooks.md.
  std::string runbook;
  /// kSkipped only: true when it could not be checked (an error, a
  /// timeout, no permission), false when nothing was configured to check.
  bool unchecked = false;

  Finding() = default;
  Finding(Step s, CheckStatus st, std::string summary_text)
      : step(s), status(st), summary(std::move(summary_text)) {}
  /// A finding about what could not be checked, and why.
  static Finding Unchecked(Step s, std::string why) {
    Finding f(s, CheckStatus::kSkipped, std::move(why));
    f.unchecked = true;
    return f;
  }

  // Builders for one-expression findings (each returns a new value, so
  // `x = std::move(x).Fix(...)` is safe too):
  //   Finding(Step::kChroot, CheckStatus::kWarn, "...").About("etc/hosts")
  //       .With("missing", path).Fix("cp -p ...", "postfix reload")
  Finding About(std::string s) && {
    subject = std::move(s);
    return std::move(*this);
  }
  Finding With(std::string text, std::string source) && {
    evidence.push_back({std::move(text), std::move(source)});
    return std::move(*this);
  }
  Finding With(Evidence e) && {
    evidence.push_back(std::move(e));
    return std::move(*this);
  }
  Finding Fix(std::string how, std::string then = "") && {
    fix = std::move(how);
    apply = std::move(then);
    return std::move(*this);
  }
  Finding Runbook(std::string alert) && {
    runbook = std::move(alert);
    return std::move(*this);
  }
};

/// A collector that explains its last Collect() as findings. Optional: a
/// collector implements it beside Collector.
///
/// Thread-safety: CollectorSet calls Diagnose() right after Collect() on the
/// same thread, under the same lock, so it sees exactly that collection and
/// never runs concurrently with Collect(). WaitForResults() may be called
/// from any thread after Start().
class Diagnosable {
 public:
  virtual ~Diagnosable() = default;

  /// Appends findings about what the last Collect() saw. Must not block or
  /// do I/O: everything it needs was kept by Collect().
  virtual void Diagnose(std::vector<Finding>* out) const = 0;

  /// For collectors whose results come from background work (probe rounds,
  /// a log being read): blocks until the first results are in or
  /// `deadline` passes. Default: results are always there.
  virtual void WaitForResults(Deadline deadline) { (void)deadline; }
};

/// What one collector contributed to a diagnosis.
struct CollectorFindings {
  std::string collector;
  /// The collection's status (a failure makes its steps "could not check").
  Status status;
  std::vector<Finding> findings;
};

}  // namespace mailflow
