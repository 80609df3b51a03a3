#include "collectors/log/log_families.h"

#include <map>
#include <tuple>

#include "collectors/common/metrics.h"

namespace mailflow::log_collector {

using prometheus::MetricType;

namespace {

void AppendSourceStateFamilies(const SourceState& src,
                               std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder(out, "mailflow_log_source_up",
                "Whether the log source is open (file open, journal open, "
                "stdin not at EOF).",
                MetricType::Gauge)
      .Add({{"source", src.source}}, src.up ? 1 : 0);
  FamilyBuilder(
      out, "mailflow_log_source_info",
      "Which log source is followed (source; none while source auto "
      "has found neither the file nor Postfix entries in the journal), "
      "as configured, and its path (the file or the journal "
      "directory, \"\" = the system journal). Always 1.",
      MetricType::Gauge)
      .Add({{"configured", src.configured},
            {"path", src.path},
            {"source", src.source}},
           1);
  FamilyBuilder(out, "mailflow_log_read_errors_total",
                "Errors opening or reading the log source.",
                MetricType::Counter)
      .Add({}, double(src.read_errors));
  FamilyBuilder(out, "mailflow_log_last_line_timestamp_seconds",
                "Unix time when the exporter last read a line (0: none yet).",
                MetricType::Gauge)
      .Add({}, src.last_line_time);
  if (src.is_file) {
    FamilyBuilder(out, "mailflow_log_file_position_bytes",
                  "Read position in the followed file.", MetricType::Gauge)
        .Add({}, double(src.file.position));
    FamilyBuilder(out, "mailflow_log_file_size_bytes",
                  "Size of the followed file at the last poll (size - position "
                  "= backlog).",
                  MetricType::Gauge)
        .Add({}, double(src.file.size));
    FamilyBuilder(out, "mailflow_log_file_inode", "Inode of the followed file.",
                  MetricType::Gauge)
        .Add({}, double(src.file.inode));
    FamilyBuilder f(
        out, "mailflow_log_file_rotations_total",
        "Rotations noticed: rename (renamed or deleted, then recreated) and "
        "truncate (copytruncate).",
        MetricType::Counter);
    f.Add({{"kind", "rename"}}, double(src.file.rotations));
    f.Add({{"kind", "truncate"}}, double(src.file.truncations));
  }
  if (src.is_journal) {
    FamilyBuilder(
        out, "mailflow_log_untrusted_entries_total",
        "Journal entries tagged as Postfix's (SYSLOG_IDENTIFIER) but sent by a "
        "process whose uid is not in journal_trusted_users: dropped (forged, "
        "e.g. logger -t postfix/smtp).",
        MetricType::Counter)
        .Add({}, double(src.untrusted));
  }
}

}  // namespace

void AppendLogSourceFamilies(const std::vector<const LogStats*>& all,
                             const SourceState& src,
                             std::vector<prometheus::MetricFamily>* out) {
  uint64_t lines = 0, foreign = 0;
  std::map<std::string, uint64_t, std::less<>> unparsed;
  for (const LogStats* s : all) {
    lines += s->lines;
    foreign += s->foreign;
    for (const auto& [program, n] : s->unparsed) unparsed[program] += n;
  }
  FamilyBuilder(out, "mailflow_log_lines_total",
                "Log lines read from the source (Postfix or not).",
                MetricType::Counter)
      .Add({}, double(lines));
  {
    FamilyBuilder f(
        out, "mailflow_log_unparsed_lines_total",
        "Postfix log lines the parser did not understand, by program "
        "(\"unknown\": no syslog header; at most 32 programs per instance, "
        "then \"other\").",
        MetricType::Counter);
    // "unknown" is always present so that rates exist before the first one.
    if (!unparsed.count("unknown")) f.Add({{"program", "unknown"}}, 0);
    for (const auto& [program, n] : unparsed)
      f.Add({{"program", program}}, double(n));
  }
  FamilyBuilder(out, "mailflow_log_foreign_lines_total",
                "Well-formed log lines from programs other than Postfix.",
                MetricType::Counter)
      .Add({}, double(foreign));
  AppendSourceStateFamilies(src, out);
}

namespace {

// Outbound: delivery attempts by status and transport, their delays, the
// reasons of unsuccessful ones and failed connections.
void AppendDeliveryFamilies(const LogStats& s,
                            std::vector<prometheus::MetricFamily>* out) {
  using postfix::DeliveryStatus;
  {
    FamilyBuilder f(out, "mailflow_log_deliveries_total",
                    "Delivery attempts per recipient by status and transport "
                    "(delivery agent).",
                    MetricType::Counter);
    const DeliveryStatus statuses[] = {
        DeliveryStatus::kSent, DeliveryStatus::kDeferred,
        DeliveryStatus::kBounced, DeliveryStatus::kExpired};
    for (DeliveryStatus st : statuses) {
      for (int t = 0; t < kTransportCount; ++t) {
        const uint64_t n = s.deliveries[int(st)][t];
        // Always show smtp so that rates exist before the first delivery.
        if (n == 0 && t != 0) continue;
        f.Add({{"status", postfix::DeliveryStatusName(st)},
               {"transport", std::string(kTransports[t])}},
              double(n));
      }
    }
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_delivery_delay_seconds",
        "Per-phase delivery delay from delays=a/b/c/d, observed once per final "
        "status (sent, bounced, expired): before_qmgr (a), in_qmgr (b), "
        "connection_setup incl. DNS, HELO, TLS (c), transmission (d).",
        MetricType::Histogram);
    for (int k = 0; k < 4; ++k)
      f.AddHistogram({{"phase", std::string(kPhases[k])}}, s.phase_delay[k]);
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_message_delay_seconds",
        "Time from message arrival to the final delivery status (delay=).",
        MetricType::Histogram);
    const DeliveryStatus finals[] = {DeliveryStatus::kSent,
                                     DeliveryStatus::kBounced,
                                     DeliveryStatus::kExpired};
    for (DeliveryStatus st : finals) {
      f.AddHistogram({{"status", postfix::DeliveryStatusName(st)}},
                     s.message_delay[int(st)]);
    }
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_delivery_errors_total",
        "Unsuccessful delivery attempts by status, transport (delivery agent) "
        "and reason class (the queue collector's classes).",
        MetricType::Counter);
    const DeliveryStatus bad[] = {DeliveryStatus::kDeferred,
                                  DeliveryStatus::kBounced,
                                  DeliveryStatus::kExpired};
    for (DeliveryStatus st : bad) {
      for (int t = 0; t < kTransportCount; ++t) {
        for (int r = 0; r < kDeferReasonCount; ++r) {
          const uint64_t n = s.errors[int(st)][t][r];
          // smtp's deferrals always exist, so that rates start at 0.
          if (n == 0 && (st != DeliveryStatus::kDeferred || t != 0)) continue;
          f.Add({{"reason", DeferReasonName(static_cast<DeferReason>(r))},
                 {"status", postfix::DeliveryStatusName(st)},
                 {"transport", std::string(kTransports[t])}},
                double(n));
        }
      }
    }
  }
  {
    FamilyBuilder f(out, "mailflow_log_smtp_connect_failures_total",
                    "Failed outbound connection attempts (\"connect to HOST: "
                    "REASON\" lines of "
                    "smtp/lmtp, one per address tried) by reason class.",
                    MetricType::Counter);
    for (int r = 0; r < kDeferReasonCount; ++r) {
      f.Add({{"reason", DeferReasonName(static_cast<DeferReason>(r))}},
            double(s.connect_failures[r]));
    }
  }
}

// Inbound: TLS failures, smtpd connections and lost connections, rejects,
// postscreen verdicts.
void AppendSmtpdFamilies(const LogStats& s,
                         std::vector<prometheus::MetricFamily>* out) {
  {
    FamilyBuilder f(
        out, "mailflow_log_tls_failures_total",
        "TLS handshake failures and TLS library problems by program.",
        MetricType::Counter);
    for (int i = 0; i < kTlsProgramCount; ++i)
      f.Add({{"program", std::string(kTlsPrograms[i])}},
            double(s.tls_failures[i]));
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_smtpd_connections_total",
        "Inbound SMTP connections (smtpd \"connect from\") by syslog name "
        "(postfix, postfix/submission, ...; at most 16, then \"other\").",
        MetricType::Counter);
    if (s.smtpd_connections.empty()) f.Add({{"syslog_name", "postfix"}}, 0);
    for (const auto& [name, n] : s.smtpd_connections)
      f.Add({{"syslog_name", name}}, double(n));
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_smtpd_lost_connections_total",
        "Inbound sessions that ended with \"lost connection\" or \"timeout\" "
        "after an SMTP command, by command.",
        MetricType::Counter);
    for (int i = 0; i < kStageCount; ++i) {
      if (s.smtpd_lost[i] == 0 && i != 0) continue;
      f.Add({{"stage", std::string(kStages[i])}}, double(s.smtpd_lost[i]));
    }
  }
  {
    FamilyBuilder f(
        out, "mailflow_log_rejects_total",
        "Rejected SMTP commands and messages (smtpd, postscreen, cleanup) by "
        "reply "
        "code and reason class (at most 64 series, then \"other\").",
        MetricType::Counter);
    const auto rejects = s.RejectSeries();
    if (rejects.empty()) {
      f.Add({{"program", "smtpd"}, {"code", "554"}, {"reason", "other"}}, 0);
    }
    for (const auto& [key, n] : rejects) {
      f.Add({{"program", std::get<0>(key)},
             {"code", std::get<1>(key)},
             {"reason", std::get<2>(key)}},
            double(n));
    }
  }
  {
    FamilyBuilder f(out, "mailflow_log_postscreen_events_total",
                    "postscreen verdicts and events.", MetricType::Counter);
    for (int i = 1; i < kPostscreenEventCount; ++i) {
      const auto e = static_cast<postfix::PostscreenEvent>(i);
      if (e == postfix::PostscreenEvent::kOther) continue;
      f.Add({{"event", postfix::PostscreenEventName(e)}},
            double(s.postscreen[i]));
    }
    f.Add({{"event", "other"}},
          double(s.postscreen[int(postfix::PostscreenEvent::kOther)]));
  }
}

// Messages by stage and Postfix's own warnings/errors by severity.
void AppendMessageFamilies(const LogStats& s,
                           std::vector<prometheus::MetricFamily>* out) {
  {
    FamilyBuilder f(
        out, "mailflow_log_messages_total",
        "Queue manager message events: queued (entered the active queue), "
        "removed (done), expired (returned to sender after "
        "maximal_queue_lifetime).",
        MetricType::Counter);
    f.Add({{"event", "queued"}}, double(s.messages_queued));
    f.Add({{"event", "removed"}}, double(s.messages_removed));
    f.Add({{"event", "expired"}}, double(s.messages_expired));
  }
  {
    FamilyBuilder f(out, "mailflow_log_postfix_problems_total",
                    "Postfix log lines with warning:, error:, fatal: or panic: "
                    "by severity.",
                    MetricType::Counter);
    for (int i = 1; i < 5; ++i) {
      f.Add({{"severity",
              postfix::SeverityName(static_cast<postfix::Severity>(i))}},
            double(s.severity[i]));
    }
  }
}

// Greylisting: deferrals, the delay greylisted mail waited, the table.
void AppendGreylistFamilies(const LogStats& s,
                            std::vector<prometheus::MetricFamily>* out) {
  FamilyBuilder(out, "mailflow_log_greylist_deferrals_total",
                "Deliveries deferred by greylisting (reason class greylisted).",
                MetricType::Counter)
      .Add({}, double(s.greylist_deferrals));
  FamilyBuilder(
      out, "mailflow_log_greylist_delay_seconds",
      "Time from a queue id's first greylisting deferral to its delivery "
      "(difference of the delay= fields).",
      MetricType::Histogram)
      .AddHistogram({}, s.greylist_delay);
  FamilyBuilder(out, "mailflow_log_greylist_tracked_messages",
                "Queue ids waiting for delivery after a greylisting deferral.",
                MetricType::Gauge)
      .Add({}, double(s.greylist_tracked()));
  FamilyBuilder(out, "mailflow_log_greylist_evictions_total",
                "Greylisted queue ids dropped from tracking because "
                "greylist_tracking_max "
                "was reached (their delay is not observed).",
                MetricType::Counter)
      .Add({}, double(s.greylist_evictions));
}

}  // namespace

void AppendLogInstanceFamilies(const LogStats& s,
                               std::vector<prometheus::MetricFamily>* out) {
  AppendDeliveryFamilies(s, out);
  AppendSmtpdFamilies(s, out);
  AppendMessageFamilies(s, out);
  AppendGreylistFamilies(s, out);
}

}  // namespace mailflow::log_collector
