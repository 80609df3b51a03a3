#include "collectors/queue/queue_diagnosis.h"

#include <algorithm>
#include <cstdio>

#include "collectors/common/fix_commands.h"

namespace mailflow {

namespace {

using S = CheckStatus;

const QueueStats& Q(const QueueFacts& f, QueueName q) {
  return f.scan.queues[static_cast<int>(q)];
}

std::string Sizes(const QueueFacts& f) {
  std::string out;
  for (QueueName q :
       {QueueName::kActive, QueueName::kIncoming, QueueName::kDeferred,
        QueueName::kHold, QueueName::kMaildrop, QueueName::kCorrupt}) {
    const QueueStats& s = Q(f, q);
    if (!s.readable) continue;
    out += (out.empty() ? "" : ", ") + std::string(QueueNameString(q)) + " " +
           std::to_string(s.messages);
  }
  return out;
}

std::string Domains(const QueueFacts& f) {
  std::string out;
  for (const auto& [d, n] : f.scan.domains) {
    out += (out.empty() ? "" : ", ") + d + " " + std::to_string(n);
  }
  return out;
}

struct ReasonFix {
  const char* fix;
  const char* runbook;
};

ReasonFix FixFor(DeferReason r) {
  switch (r) {
    case DeferReason::kConnectionRefused:
      return {
          "the next hop refuses connections: check relayhost and "
          "transport_maps (a wrong port?), nc -vz HOST 25 from here; "
          "start or open the receiving MTA",
          "DeferredMostlyConnectionRefused"};
    case DeferReason::kConnectionTimedOut:
      return {
          "SYNs to port 25 go unanswered: outbound port 25 blocked "
          "(step 8) or a remote firewall; relay through a smarthost on "
          "587 if the provider blocks 25",
          "DeferredMostlyTimedOut"};
    case DeferReason::kHostNotFound:
      return {
          "Postfix cannot resolve the next hops: repair the resolver it "
          "uses (step 7) and the chroot jail's resolv.conf (step 6)",
          "DeferredMostlyHostNotFound"};
    case DeferReason::kGreylisted:
      return {"receivers greylist this server: see step 10", ""};
    default:
      return {
          "postqueue -p shows the reason under each message; fix the "
          "cause",
          "MailQueueStuck"};
  }
}

void Deferred(const QueueFacts& f, std::vector<Finding>* out) {
  const QueueStats& d = Q(f, QueueName::kDeferred);
  uint64_t total = 0;
  int top = 0;
  for (int i = 0; i < kDeferReasonCount; ++i) {
    total += f.scan.deferred_reasons[i];
    if (f.scan.deferred_reasons[i] > f.scan.deferred_reasons[top]) top = i;
  }
  const Evidence sizes{Sizes(f), f.queue_directory};
  if (d.messages == 0) {
    out->push_back(
        Finding(Step::kQueue, S::kOk, "nothing is deferred").With(sizes));
    return;
  }
  const auto reason = static_cast<DeferReason>(top);
  const uint64_t n = f.scan.deferred_reasons[top];
  const bool stuck = d.oldest_age > kStuckSeconds;
  const bool warn = total >= kDeferredWarnRecipients || stuck;
  std::string summary = std::to_string(d.messages) + " deferred message" +
                        (d.messages == 1 ? "" : "s") + ", the oldest for " +
                        HumanDuration(d.oldest_age);
  if (total > 0) {
    summary += "; " + std::to_string(total) + " recipient" +
               (total == 1 ? "" : "s") + ", mostly " + DeferReasonName(reason) +
               " (" + std::to_string(n) + " of " + std::to_string(total) + ")";
  }
  Finding x(Step::kQueue, warn ? S::kWarn : S::kOk, summary);
  const DeferSample& sample = f.scan.samples[top];
  if (!sample.text.empty()) {
    x.evidence.push_back(
        {(sample.recipient.empty() ? "" : "to=<" + sample.recipient + ">: ") +
             sample.status + " " + sample.text,
         "defer log of " + sample.queue_id});
  }
  std::string reasons;
  for (int i = 0; i < kDeferReasonCount; ++i) {
    if (f.scan.deferred_reasons[i] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") +
               std::string(DeferReasonName(static_cast<DeferReason>(i))) + " " +
               std::to_string(f.scan.deferred_reasons[i]);
  }
  if (!reasons.empty()) x.evidence.push_back({reasons, "deferred recipients"});
  if (!f.scan.domains.empty()) {
    x.evidence.push_back({Domains(f), "top destinations"});
  }
  x.evidence.push_back(sizes);
  if (warn) {
    const ReasonFix rf = FixFor(reason);
    x.fix = rf.fix;
    x.apply = PostfixTool("postqueue", f.config_directory, "-f") +
              "   (retry the deferred mail now)";
    x.runbook = stuck && n * 2 <= total ? "MailQueueStuck" : rf.runbook;
  }
  out->push_back(std::move(x));
}

void NearExpiry(const QueueFacts& f, std::vector<Finding>* out) {
  if (f.scan.near_expiry == 0) return;
  out->push_back(
      Finding(Step::kQueue, S::kWarn,
              std::to_string(f.scan.near_expiry) +
                  " messages reach maximal_queue_lifetime (" +
                  HumanDuration(static_cast<double>(f.maximal_queue_lifetime)) +
                  ") within 24 hours: they bounce to their senders unless "
                  "the cause of the deferrals is fixed")
          .Fix("fix the deferrals; to buy time: " +
                   PostfixTool("postconf", f.config_directory,
                               "-e maximal_queue_lifetime=7d"),
               PostfixReload(f.config_directory))
          .Runbook("MessagesNearExpiry"));
}

void Greylisted(const QueueFacts& f, std::vector<Finding>* out) {
  const uint64_t n =
      f.scan.deferred_reasons[static_cast<int>(DeferReason::kGreylisted)];
  if (n == 0) {
    out->push_back(Finding(Step::kGreylisting, S::kOk,
                           "no deferred recipient was greylisted"));
    return;
  }
  const bool slow = f.minimal_backoff_seconds > kGreylistTooLongSeconds;
  Finding x(Step::kGreylisting, slow ? S::kWarn : S::kOk,
            std::to_string(n) + (n == 1 ? " recipient" : " recipients") +
                " greylisted by the receiver" + (n == 1 ? " waits" : " wait") +
                " for Postfix's next retry" +
                (slow ? ", at the earliest after " +
                            HumanDuration(static_cast<double>(
                                f.minimal_backoff_seconds)) +
                            ": far longer than a greylisting window"
                      : ""));
  const DeferSample& s =
      f.scan.samples[static_cast<int>(DeferReason::kGreylisted)];
  if (!s.text.empty()) {
    x.evidence.push_back(
        {s.status + " " + s.text, "defer log of " + s.queue_id});
  }
  const postfix::MainCfParam& b = f.minimal_backoff_time;
  x.evidence.push_back({b.name + " = " + b.value,
                        b.line > 0
                            ? f.config_file + ":" + std::to_string(b.line)
                            : "Postfix's default"});
  if (slow) {
    x = std::move(x)
            .Fix(PostfixTool("postconf", f.config_directory,
                             "-e minimal_backoff_time=300s "
                             "maximal_backoff_time=1800s"),
                 PostfixReload(f.config_directory) + " && " +
                     PostfixTool("postqueue", f.config_directory, "-f"))
            .Runbook("GreylistingDelaysHigh");
  }
  out->push_back(std::move(x));
}

}  // namespace

std::string HumanDuration(double seconds) {
  const auto s = static_cast<int64_t>(seconds < 0 ? 0 : seconds);
  char buf[32];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", (long long)(s / 86400),
                  (long long)(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", (long long)(s / 3600),
                  (long long)(s % 3600 / 60));
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm", (long long)(s / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", (long long)s);
  }
  return buf;
}

void QueueFindings(const QueueFacts& f, std::vector<Finding>* out) {
  if (!f.error.empty()) {
    Finding x = Finding::Unchecked(
        Step::kQueue, "the queue could not be read in full: " + f.error);
    if (f.scan.permission_denied) {
      x = std::move(x)
              .Fix(
                  "run the exporter with CAP_DAC_READ_SEARCH (the shipped "
                  "unit's AmbientCapabilities) or as root: Postfix's queue "
                  "files are 0700",
                  "systemctl restart mailflow-exporter")
              .Runbook("MailflowCollectorFailing");
    }
    out->push_back(std::move(x));
  }
  if (!Q(f, QueueName::kDeferred).readable) return;
  Deferred(f, out);
  NearExpiry(f, out);
  Greylisted(f, out);
}

}  // namespace mailflow
