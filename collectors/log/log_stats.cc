#include "collectors/log/log_stats.h"

#include <tuple>

namespace mailflow::log_collector {
namespace {

using postfix::DeliveryStatus;
using postfix::LogEvent;
using postfix::LogLine;

int TransportIndex(std::string_view program) {
  for (int i = 0; i < kTransportCount - 1; ++i) {
    if (program == kTransports[i]) return i;
  }
  return kTransportCount - 1;
}

int StageIndex(std::string_view stage) {
  for (int i = 0; i < kStageCount - 1; ++i) {
    if (stage == kStages[i]) return i;
  }
  return kStageCount - 1;
}

int TlsProgramIndex(std::string_view program) {
  for (int i = 0; i < kTlsProgramCount - 1; ++i) {
    if (program == kTlsPrograms[i]) return i;
  }
  return kTlsProgramCount - 1;
}

bool IsFinal(DeliveryStatus s) {
  return s == DeliveryStatus::kSent || s == DeliveryStatus::kBounced ||
         s == DeliveryStatus::kExpired;
}

// Increments map[key], folding new keys into "other" beyond `cap` entries.
template <typename Map>
void CappedIncrement(Map* m, std::string_view key, size_t cap) {
  auto it = m->find(key);
  if (it != m->end()) {
    ++it->second;
    return;
  }
  if (m->size() + 1 >= cap) key = "other";  // keep one slot for "other"
  ++(*m)[std::string(key)];
}

}  // namespace

std::map<std::tuple<std::string, std::string, std::string>, uint64_t>
LogStats::RejectSeries() const {
  static const char* const kPrograms[] = {"smtpd", "postscreen", "cleanup",
                                          "other"};
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> out;
  for (const auto& [k, n] : rejects_) {
    if (k.program == 255) {
      out[{"other", "other", "other"}] += n;
      continue;
    }
    std::string code = k.code >= 100 ? std::to_string(k.code)
                       : k.code != 0 ? std::to_string(k.code) + "xx"
                                     : "none";
    out[{kPrograms[k.program], std::move(code),
         postfix::RejectClassName(
             static_cast<postfix::RejectClass>(k.reason))}] += n;
  }
  return out;
}

std::vector<double> DeliveryDelayBuckets() {
  return {0.01, 0.05, 0.1, 0.25, 0.5, 1,    2.5,   5,
          10,   30,   60,  300,  900, 3600, 14400, 86400};
}

std::vector<double> GreylistDelayBuckets() {
  return {1, 5, 30, 60, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400};
}

LogStats::LogStats(size_t greylist_tracking_max)
    : greylist_delay(GreylistDelayBuckets()),
      greylist_max_(greylist_tracking_max) {
  for (int i = 0; i < 4; ++i) phase_delay.emplace_back(DeliveryDelayBuckets());
  for (int i = 0; i < kStatusCount; ++i)
    message_delay.emplace_back(DeliveryDelayBuckets());
}

void LogStats::AddLine(std::string_view text) {
  LogLine line;
  postfix::ParseLogLine(text, &line);
  Add(line);
}

void LogStats::Add(const LogLine& l) {
  ++lines;
  if (l.severity != postfix::Severity::kInfo)
    ++severity[static_cast<int>(l.severity)];
  switch (l.event) {
    case LogEvent::kUnparsed:
      CappedIncrement(
          &unparsed,
          l.program.empty() ? std::string_view("unknown") : l.program,
          kMaxUnparsedPrograms);
      break;
    case LogEvent::kForeign:
      ++foreign;
      break;
    case LogEvent::kOther:
      break;
    case LogEvent::kDelivery:
      AddDelivery(l);
      break;
    case LogEvent::kConnectFailure:
      ++connect_failures[static_cast<int>(ClassifyDeferReason("", l.reason))];
      break;
    case LogEvent::kTlsFailure:
      ++tls_failures[TlsProgramIndex(l.program)];
      break;
    case LogEvent::kLostConnection:
      ++smtpd_lost[StageIndex(l.stage)];
      break;
    case LogEvent::kSmtpdConnect:
      CappedIncrement(&smtpd_connections, l.syslog_name, kMaxSyslogNames);
      break;
    case LogEvent::kSmtpdDisconnect:
      break;
    case LogEvent::kReject: {
      RejectKey key;
      key.program = l.program == "smtpd"        ? 0
                    : l.program == "postscreen" ? 1
                    : l.program == "cleanup"    ? 2
                                                : 3;
      key.reason = static_cast<uint8_t>(l.reject_class);
      key.code = l.reply_code != 0 ? l.reply_code
                 : !l.dsn.empty()  ? uint16_t(l.dsn[0] - '0')
                                   : uint16_t(0);
      auto it = rejects_.find(key);
      if (it == rejects_.end() && rejects_.size() + 1 >= kMaxRejectSeries) {
        key = RejectKey{255, 0, 0};
        it = rejects_.find(key);
      }
      if (it == rejects_.end()) it = rejects_.emplace(key, 0).first;
      ++it->second;
      break;
    }
    case LogEvent::kPostscreen:
      ++postscreen[static_cast<int>(l.postscreen)];
      break;
    case LogEvent::kQmgrQueued:
      ++messages_queued;
      break;
    case LogEvent::kQmgrRemoved:
      ++messages_removed;
      GreylistDone(l.queue_id, -1, false);
      break;
    case LogEvent::kQmgrExpired:
      ++messages_expired;
      GreylistDone(l.queue_id, -1, false);
      break;
  }
}

void LogStats::AddDelivery(const LogLine& l) {
  const int s = static_cast<int>(l.status);
  const int transport = TransportIndex(l.program);
  ++deliveries[s][transport];
  if (IsFinal(l.status)) {
    for (int k = 0; k < 4; ++k) {
      if (l.delays[k] >= 0) phase_delay[k].Observe(l.delays[k]);
    }
    if (l.delay >= 0) message_delay[s].Observe(l.delay);
  }
  if (l.status == DeliveryStatus::kSent) {
    GreylistDone(l.queue_id, l.delay, true);
    return;
  }
  if (l.status != DeliveryStatus::kDeferred &&
      l.status != DeliveryStatus::kBounced &&
      l.status != DeliveryStatus::kExpired)
    return;
  const DeferReason reason = ClassifyDeferReason(l.dsn, l.reason);
  ++errors[s][transport][static_cast<int>(reason)];
  if (l.status == DeliveryStatus::kDeferred &&
      reason == DeferReason::kGreylisted) {
    ++greylist_deferrals;
    last_greylist =
        std::string(l.queue_id) + ": " + std::string(l.message.substr(0, 300));
    GreylistDeferred(l.queue_id, l.delay);
  } else if (l.status != DeliveryStatus::kDeferred) {
    GreylistDone(l.queue_id, -1, false);
  }
}

void LogStats::GreylistDeferred(std::string_view qid, double delay) {
  if (qid.empty() || greylist_max_ == 0 || delay < 0) return;
  std::string key(qid);
  if (greylist_.count(key)) return;  // keep the first greylisting
  while (greylist_.size() >= greylist_max_ && !greylist_order_.empty()) {
    auto [old, seq] = std::move(greylist_order_.front());
    greylist_order_.pop_front();
    auto it = greylist_.find(old);
    if (it != greylist_.end() && it->second.seq == seq) {
      greylist_.erase(it);
      ++greylist_evictions;
    }
  }
  const uint64_t seq = ++greylist_seq_;
  greylist_.emplace(key, GreylistEntry{delay, seq});
  greylist_order_.emplace_back(std::move(key), seq);
  // Drop stale order entries (finished messages) so the deque stays bounded.
  if (greylist_order_.size() > 2 * greylist_max_ + 16) {
    std::deque<std::pair<std::string, uint64_t>> live;
    for (auto& e : greylist_order_) {
      auto it = greylist_.find(e.first);
      if (it != greylist_.end() && it->second.seq == e.second)
        live.push_back(std::move(e));
    }
    greylist_order_.swap(live);
  }
}

void LogStats::GreylistDone(std::string_view qid, double delay,
                            bool delivered) {
  if (greylist_.empty() || qid.empty()) return;
  auto it = greylist_.find(std::string(qid));
  if (it == greylist_.end()) return;
  if (delivered && delay >= 0) {
    const double d = delay - it->second.first_delay;
    greylist_delay.Observe(d < 0 ? 0 : d);
  }
  greylist_.erase(it);
}

}  // namespace mailflow::log_collector
