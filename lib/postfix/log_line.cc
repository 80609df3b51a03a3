// Postfix log lines: the syslog header (timestamp, host, tag), the
// severity and queue id prefixes, the dispatch by program, and the
// names of the enums.
#include "lib/postfix/log_line.h"

#include "lib/postfix/log_line_fields.h"
#include "lib/postfix/log_line_programs.h"
#include "lib/postfix/log_line_scan.h"

namespace mailflow::postfix {

using log_line::ConsumePrefix;
using log_line::IsCommonNoise;
using log_line::IsDigit;
using log_line::IsTlsFailure;
using log_line::Lower;
using log_line::ParseCleanup;
using log_line::ParseDeliveryAgent;
using log_line::ParsePostscreen;
using log_line::ParseQmgr;
using log_line::ParseSmtpd;
using log_line::StartsWith;
using log_line::sv;

namespace {

// Postfix queue ids: short ones are upper-case hex; long ones use an
// alphabet without vowels (enable_long_queue_ids).
bool IsQueueId(sv t) {
  if (t.size() < 5 || t.size() > 32) return false;
  bool hex = true, lng = true;
  for (char c : t) {
    const bool digit = IsDigit(c);
    if (!(digit || (c >= 'A' && c <= 'F'))) hex = false;
    if (!digit) {
      const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      const char l = Lower(c);
      if (!alpha || l == 'a' || l == 'e' || l == 'i' || l == 'o' || l == 'u')
        lng = false;
    }
    if (!hex && !lng) return false;
  }
  return true;
}

enum class Program : uint8_t {
  kOtherPostfix,   // lenient: anything it says is understood (master, ...)
  kDeliveryAgent,  // smtp, lmtp, local, virtual, pipe, error, retry, discard
  kSmtpd,
  kPostscreen,
  kQmgr,
  kCleanup,
  kPickup,
  kBounce,
  kTlsproxy,
};

Program ClassifyProgram(sv p) {
  switch (p.size()) {
    case 4:
      if (p == "smtp" || p == "lmtp" || p == "pipe")
        return Program::kDeliveryAgent;
      if (p == "qmgr") return Program::kQmgr;
      break;
    case 5:
      if (p == "local" || p == "error" || p == "retry")
        return Program::kDeliveryAgent;
      if (p == "smtpd") return Program::kSmtpd;
      if (p == "oqmgr") return Program::kQmgr;
      if (p == "defer" || p == "trace") return Program::kBounce;
      break;
    case 6:
      if (p == "pickup") return Program::kPickup;
      if (p == "bounce") return Program::kBounce;
      break;
    case 7:
      if (p == "virtual" || p == "discard") return Program::kDeliveryAgent;
      if (p == "cleanup") return Program::kCleanup;
      break;
    case 8:
      if (p == "tlsproxy") return Program::kTlsproxy;
      break;
    case 10:
      if (p == "postscreen") return Program::kPostscreen;
      break;
    default:
      break;
  }
  return Program::kOtherPostfix;
}

void Dispatch(LogLine* out) {
  out->event = LogEvent::kUnparsed;
  sv m = out->message;
  // Severity prefix (before or after the queue id).
  switch (m.empty() ? '\0' : m[0]) {
    case 'w':
      if (ConsumePrefix(&m, "warning: ")) out->severity = Severity::kWarning;
      break;
    case 'e':
      if (ConsumePrefix(&m, "error: ")) out->severity = Severity::kError;
      break;
    case 'f':
      if (ConsumePrefix(&m, "fatal: ")) out->severity = Severity::kFatal;
      break;
    case 'p':
      if (ConsumePrefix(&m, "panic: ")) out->severity = Severity::kPanic;
      break;
    default:
      break;
  }
  // Queue id: "QID: " or "NOQUEUE: ".
  const size_t colon = m.find(": ");
  if (colon != sv::npos && colon <= 32) {
    const sv tok = m.substr(0, colon);
    if (tok == "NOQUEUE" || IsQueueId(tok)) {
      out->queue_id = tok;
      m.remove_prefix(colon + 2);
    }
  }
  out->message = m;
  const Program program = ClassifyProgram(out->program);
  if (out->severity != Severity::kInfo) {
    out->event = IsTlsFailure(m) ? LogEvent::kTlsFailure : LogEvent::kOther;
    if (out->event == LogEvent::kTlsFailure) out->reason = m;
    return;
  }
  switch (program) {
    case Program::kDeliveryAgent:
      ParseDeliveryAgent(out);
      break;
    case Program::kSmtpd:
      ParseSmtpd(out);
      break;
    case Program::kPostscreen:
      ParsePostscreen(out);
      break;
    case Program::kQmgr:
      ParseQmgr(out);
      break;
    case Program::kCleanup:
      ParseCleanup(out);
      break;
    case Program::kPickup:
      if (StartsWith(m, "uid=") || IsCommonNoise(m))
        out->event = LogEvent::kOther;
      break;
    case Program::kBounce:
      if (StartsWith(m, "sender ") || StartsWith(m, "postmaster ") ||
          IsCommonNoise(m))
        out->event = LogEvent::kOther;
      break;
    case Program::kTlsproxy:
      if (IsTlsFailure(m)) {
        out->event = LogEvent::kTlsFailure;
        out->reason = m;
      } else {
        out->event = LogEvent::kOther;
      }
      break;
    case Program::kOtherPostfix:
      out->event = LogEvent::kOther;
      break;
  }
}

}  // namespace

bool IsPostfixTag(sv tag) { return StartsWith(tag, "postfix"); }

namespace {

void ParseMessageInto(sv tag, sv message, LogLine* out) {
  out->tag = tag;
  const size_t slash = tag.rfind('/');
  if (slash == sv::npos || !IsPostfixTag(tag)) {
    out->syslog_name = tag;
    out->program = tag;
    out->message = message;
    out->event = IsPostfixTag(tag) ? LogEvent::kOther : LogEvent::kForeign;
    return;
  }
  out->syslog_name = tag.substr(0, slash);
  out->program = tag.substr(slash + 1);
  out->message = message;
  Dispatch(out);
}

}  // namespace

void ParseLogMessage(sv tag, sv message, LogLine* out) {
  *out = LogLine();
  ParseMessageInto(tag, message, out);
}

void ParseLogLine(sv line, LogLine* out) {
  *out = LogLine();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t i = 0;
  const size_t n = line.size();
  // Timestamp.
  if (n >= 20 && IsDigit(line[0]) && IsDigit(line[1]) && IsDigit(line[2]) &&
      IsDigit(line[3]) && line[4] == '-') {
    // RFC 3339: one token.
    while (i < n && line[i] != ' ') ++i;
  } else if (n >= 16 && line[3] == ' ' && line[0] >= 'A' && line[0] <= 'Z') {
    // "Mmm dd hh:mm:ss[.frac]" with dd space-padded, optional year before the
    // time.
    i = 4;
    if (line[i] == ' ') ++i;
    while (i < n && IsDigit(line[i])) ++i;
    if (i >= n || line[i] != ' ') return;
    ++i;
    if (i + 5 < n && IsDigit(line[i]) && IsDigit(line[i + 3]) &&
        line[i + 4] == ' ' && IsDigit(line[i + 1]) && IsDigit(line[i + 2])) {
      i += 5;  // year
    }
    if (i + 8 > n || line[i + 2] != ':' || line[i + 5] != ':') return;
    while (i < n && line[i] != ' ') ++i;
  } else {
    return;
  }
  out->timestamp = line.substr(0, i);
  if (i >= n) return;
  ++i;
  // Host.
  const size_t host_start = i;
  while (i < n && line[i] != ' ') ++i;
  if (i >= n) return;
  out->host = line.substr(host_start, i - host_start);
  ++i;
  // Tag: "ident[pid]: " or "ident: ".
  const size_t tag_start = i;
  while (i < n && line[i] != '[' && line[i] != ':' && line[i] != ' ') ++i;
  if (i >= n || line[i] == ' ') return;
  const sv tag = line.substr(tag_start, i - tag_start);
  if (line[i] == '[') {
    while (i < n && line[i] != ']') ++i;
    ++i;
  }
  if (i >= n || line[i] != ':') return;
  ++i;
  if (i < n && line[i] == ' ') ++i;
  ParseMessageInto(tag, line.substr(i), out);
}

const char* DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kSent:
      return "sent";
    case DeliveryStatus::kDeferred:
      return "deferred";
    case DeliveryStatus::kBounced:
      return "bounced";
    case DeliveryStatus::kExpired:
      return "expired";
    case DeliveryStatus::kDeliverable:
      return "deliverable";
    case DeliveryStatus::kUndeliverable:
      return "undeliverable";
    case DeliveryStatus::kNone:
      break;
  }
  return "none";
}

const char* RejectClassName(RejectClass c) {
  switch (c) {
    case RejectClass::kRelayDenied:
      return "relay_denied";
    case RejectClass::kUnknownUser:
      return "unknown_user";
    case RejectClass::kRbl:
      return "rbl";
    case RejectClass::kClientRejected:
      return "client_rejected";
    case RejectClass::kHeloRejected:
      return "helo_rejected";
    case RejectClass::kSenderRejected:
      return "sender_rejected";
    case RejectClass::kRecipientRejected:
      return "recipient_rejected";
    case RejectClass::kGreylisted:
      return "greylisted";
    case RejectClass::kPolicy:
      return "policy";
    case RejectClass::kContent:
      return "content";
    case RejectClass::kOther:
      break;
  }
  return "other";
}

const char* PostscreenEventName(PostscreenEvent e) {
  switch (e) {
    case PostscreenEvent::kConnect:
      return "connect";
    case PostscreenEvent::kPassNew:
      return "pass_new";
    case PostscreenEvent::kPassOld:
      return "pass_old";
    case PostscreenEvent::kDnsbl:
      return "dnsbl";
    case PostscreenEvent::kPregreet:
      return "pregreet";
    case PostscreenEvent::kHangup:
      return "hangup";
    case PostscreenEvent::kAllowlisted:
      return "allowlisted";
    case PostscreenEvent::kDenylisted:
      return "denylisted";
    case PostscreenEvent::kProtocolError:
      return "protocol_error";
    case PostscreenEvent::kDisconnect:
      return "disconnect";
    case PostscreenEvent::kOther:
    case PostscreenEvent::kNone:
      break;
  }
  return "other";
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kFatal:
      return "fatal";
    case Severity::kPanic:
      return "panic";
    case Severity::kInfo:
      break;
  }
  return "info";
}

}  // namespace mailflow::postfix
