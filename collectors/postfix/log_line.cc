#include "collectors/postfix/log_line.h"

#include <charconv>
#include <cstring>

namespace mailflow::postfix {
namespace {

using sv = std::string_view;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool StartsWith(sv s, sv p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}
inline bool ConsumePrefix(sv* s, sv p) {
  if (!StartsWith(*s, p)) return false;
  s->remove_prefix(p.size());
  return true;
}
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

// Case-insensitive substring test; `needle` must be lower case.
bool ContainsCI(sv hay, sv needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  const char first = needle[0];
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (Lower(hay[i]) != first) continue;
    size_t j = 1;
    while (j < needle.size() && Lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

double ParseNumber(sv s) {
  double v = -1;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return -1;
  return v;
}

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
  kOtherPostfix,  // lenient: anything it says is understood (master, anvil, ...)
  kDeliveryAgent, // smtp, lmtp, local, virtual, pipe, error, retry, discard
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
      if (p == "smtp" || p == "lmtp" || p == "pipe") return Program::kDeliveryAgent;
      if (p == "qmgr") return Program::kQmgr;
      break;
    case 5:
      if (p == "local" || p == "error" || p == "retry") return Program::kDeliveryAgent;
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

// "key=value, key=<value>, ..., status=word (reason)" of a delivery line.
bool ParseDelivery(sv msg, LogLine* out) {
  size_t i = 0;
  while (i < msg.size()) {
    const size_t eq = msg.find('=', i);
    if (eq == sv::npos) return false;
    const sv key = msg.substr(i, eq - i);
    const size_t vstart = eq + 1;
    if (key == "status") {
      size_t wend = vstart;
      while (wend < msg.size() && msg[wend] != ' ' && msg[wend] != ',') ++wend;
      const sv word = msg.substr(vstart, wend - vstart);
      switch (word.size()) {
        case 4: if (word == "sent") out->status = DeliveryStatus::kSent; break;
        case 7:
          if (word == "bounced") out->status = DeliveryStatus::kBounced;
          else if (word == "expired") out->status = DeliveryStatus::kExpired;
          break;
        case 8: if (word == "deferred") out->status = DeliveryStatus::kDeferred; break;
        case 11: if (word == "deliverable") out->status = DeliveryStatus::kDeliverable; break;
        case 13: if (word == "undeliverable") out->status = DeliveryStatus::kUndeliverable; break;
        default: break;
      }
      if (out->status == DeliveryStatus::kNone) return false;
      const size_t open = msg.find('(', wend);
      if (open != sv::npos) {
        size_t close = msg.size();
        while (close > open && msg[close - 1] != ')') --close;
        if (close > open + 1) out->reason = msg.substr(open + 1, close - open - 2);
      }
      return true;
    }
    size_t vend;
    if (vstart < msg.size() && msg[vstart] == '<') {
      vend = msg.find(">, ", vstart);
      if (vend == sv::npos) return false;
      ++vend;
    } else {
      vend = msg.find(", ", vstart);
      if (vend == sv::npos) return false;
    }
    const sv value = msg.substr(vstart, vend - vstart);
    switch (key.size()) {
      case 2:
        if (key == "to") out->to = value;
        break;
      case 3:
        if (key == "dsn") out->dsn = value;
        break;
      case 5:
        if (key == "relay") out->relay = value;
        else if (key == "delay") out->delay = ParseNumber(value);
        break;
      case 6:
        if (key == "delays") {
          sv rest = value;
          for (int k = 0; k < 4; ++k) {
            const size_t slash = rest.find('/');
            const sv part = slash == sv::npos ? rest : rest.substr(0, slash);
            out->delays[k] = ParseNumber(part);
            if (slash == sv::npos) break;
            rest.remove_prefix(slash + 1);
          }
        }
        break;
      default:
        break;  // orig_to, conn_use, ...
    }
    i = vend + 2;
  }
  return false;
}

RejectClass ClassifyReject(sv dsn, sv text) {
  if (ContainsCI(text, "greylist") || ContainsCI(text, "graylist") ||
      dsn == "4.2.0" ||
      (dsn == "4.7.1" && ContainsCI(text, "try again later")))
    return RejectClass::kGreylisted;
  if (ContainsCI(text, "relay access denied")) return RejectClass::kRelayDenied;
  if (ContainsCI(text, "user unknown") || ContainsCI(text, "unknown user"))
    return RejectClass::kUnknownUser;
  if (ContainsCI(text, "blocked using") || ContainsCI(text, "service unavailable; client"))
    return RejectClass::kRbl;
  if (ContainsCI(text, "client host rejected")) return RejectClass::kClientRejected;
  if (ContainsCI(text, "helo command rejected")) return RejectClass::kHeloRejected;
  if (ContainsCI(text, "sender address rejected")) return RejectClass::kSenderRejected;
  if (ContainsCI(text, "recipient address rejected")) return RejectClass::kRecipientRejected;
  if (ContainsCI(text, "policy")) return RejectClass::kPolicy;
  return RejectClass::kOther;
}

bool IsDsn(sv t) {
  // d.d{1,3}.d{1,3}
  if (t.size() < 5 || !(t[0] == '2' || t[0] == '4' || t[0] == '5') || t[1] != '.')
    return false;
  int dots = 0;
  for (size_t i = 2; i < t.size(); ++i) {
    if (t[i] == '.') {
      if (++dots > 1 || t[i - 1] == '.') return false;
    } else if (!IsDigit(t[i])) {
      return false;
    }
  }
  return dots == 1 && t.back() != '.';
}

// "STAGE from HOST[ADDR]: CODE DSN TEXT" (smtpd, postscreen) or
// "header|body VALUE from HOST[ADDR]; from=<...> ...: DSN TEXT" (cleanup),
// "END-OF-MESSAGE from HOST[ADDR]: DSN TEXT" (milter-reject).
bool ParseReject(sv rest, LogLine* out) {
  const size_t sp = rest.find(' ');
  if (sp == sv::npos) return false;
  out->stage = rest.substr(0, sp);
  out->event = LogEvent::kReject;
  const bool content = out->stage == "header" || out->stage == "body";
  size_t text_at;
  if (content) {
    // The header value may contain ": "; the reply follows the envelope.
    const size_t env = rest.find("; from=<", sp);
    if (env == sv::npos) return false;
    text_at = rest.find(": ", env);
  } else {
    const size_t from = rest.find(" from ", sp);
    if (from == sv::npos) return false;
    text_at = rest.find(": ", from);
  }
  if (text_at == sv::npos) {
    out->reason = {};
    out->reject_class = RejectClass::kOther;
    return true;
  }
  sv text = rest.substr(text_at + 2);
  if (text.size() >= 4 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      text[3] == ' ') {
    out->reply_code = uint16_t((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
    text.remove_prefix(4);
  }
  const size_t dsn_end = text.find(' ');
  const sv maybe_dsn = text.substr(0, dsn_end == sv::npos ? text.size() : dsn_end);
  if (IsDsn(maybe_dsn)) {
    out->dsn = maybe_dsn;
    text.remove_prefix(dsn_end == sv::npos ? text.size() : dsn_end + 1);
  }
  // Cut the trailing "; from=<...> to=<...> proto=... helo=<...>".
  const size_t env = text.rfind("; from=<");
  out->reason = env == sv::npos ? text : text.substr(0, env);
  out->reject_class = content ? RejectClass::kContent : ClassifyReject(out->dsn, out->reason);
  return true;
}

bool IsTlsFailure(sv m) {
  return StartsWith(m, "SSL_connect error") || StartsWith(m, "SSL_accept error") ||
         StartsWith(m, "TLS library problem") ||
         StartsWith(m, "TLS handshake failed") ||
         StartsWith(m, "Cannot start TLS");
}

bool IsTlsEstablished(sv m) {
  return StartsWith(m, "Anonymous TLS connection") || StartsWith(m, "Untrusted TLS connection") ||
         StartsWith(m, "Trusted TLS connection") || StartsWith(m, "Verified TLS connection") ||
         StartsWith(m, "Anonymous TLS connection");
}

// Messages every daemon may log with or without a queue id.
bool IsCommonNoise(sv m) {
  return StartsWith(m, "statistics:") || StartsWith(m, "table ") ||
         StartsWith(m, "dict_") || StartsWith(m, "using ") ||
         StartsWith(m, "starting ") || StartsWith(m, "daemon ");
}

void ParseDeliveryAgent(LogLine* out) {
  sv m = out->message;
  if (!out->queue_id.empty()) {
    if (StartsWith(m, "to=<")) {
      if (ParseDelivery(m, out)) out->event = LogEvent::kDelivery;
      return;
    }
    if (StartsWith(m, "host ") || StartsWith(m, "lost connection with ") ||
        StartsWith(m, "conversation with ") || StartsWith(m, "enabling PIX") ||
        StartsWith(m, "breaking line") || StartsWith(m, "Server certificate") ||
        StartsWith(m, "sender ") || StartsWith(m, "postmaster ") ||
        StartsWith(m, "discarding ") || StartsWith(m, "sasl_") ||
        StartsWith(m, "SASL ") || StartsWith(m, "TLS ") ||
        StartsWith(m, "client certificate") || StartsWith(m, "server certificate")) {
      out->event = LogEvent::kOther;
    }
    return;
  }
  if (ConsumePrefix(&m, "connect to ")) {
    // HOST[ADDR]:PORT: REASON  (the host may be a name with ':' in IPv6 addrs)
    const size_t br = m.find("]:");
    size_t colon = br == sv::npos ? m.find(": ") : m.find(": ", br + 2);
    if (colon == sv::npos) return;
    out->reason = m.substr(colon + 2);
    out->event = LogEvent::kConnectFailure;
    return;
  }
  if (IsTlsFailure(m)) {
    out->event = LogEvent::kTlsFailure;
    out->reason = m;
    return;
  }
  if (IsTlsEstablished(m) || StartsWith(m, "certificate verification failed") ||
      StartsWith(m, "server certificate verification failed") ||
      StartsWith(m, "SSL_connect:") || StartsWith(m, "setting up TLS") ||
      StartsWith(m, "Host offered STARTTLS") || StartsWith(m, "host ") ||
      StartsWith(m, "lost connection with ") || StartsWith(m, "conversation with ") ||
      StartsWith(m, "server features") || IsCommonNoise(m)) {
    out->event = LogEvent::kOther;
  }
}

void ParseSmtpd(LogLine* out) {
  sv m = out->message;
  if (out->queue_id.empty()) {
    if (StartsWith(m, "connect from ")) {
      out->event = LogEvent::kSmtpdConnect;
      return;
    }
    if (StartsWith(m, "disconnect from ")) {
      out->event = LogEvent::kSmtpdDisconnect;
      return;
    }
    if (ConsumePrefix(&m, "lost connection after ") ||
        ConsumePrefix(&m, "timeout after ")) {
      const size_t sp = m.find(' ');
      out->stage = m.substr(0, sp == sv::npos ? m.size() : sp);
      out->reason = out->message.substr(0, out->message.find(" after "));
      out->event = LogEvent::kLostConnection;
      return;
    }
    if (IsTlsFailure(m)) {
      out->event = LogEvent::kTlsFailure;
      out->reason = m;
      return;
    }
    if (IsTlsEstablished(m) || StartsWith(m, "too many errors after") ||
        StartsWith(m, "improper command pipelining") ||
        StartsWith(m, "SSL_accept:") || StartsWith(m, "setting up TLS") ||
        StartsWith(m, "NOQUEUE: ") || StartsWith(m, "non-SMTP command") ||
        StartsWith(m, "discarding EHLO") || StartsWith(m, "reject: ") ||
        StartsWith(m, "Unverified TLS") || IsCommonNoise(m)) {
      out->event = LogEvent::kOther;
    }
    return;
  }
  if (ConsumePrefix(&m, "reject: ")) {
    ParseReject(m, out);
    return;
  }
  if (StartsWith(m, "client=") || StartsWith(m, "reject_warning: ") ||
      StartsWith(m, "filter: ") || StartsWith(m, "discard: ") ||
      StartsWith(m, "hold: ") || StartsWith(m, "redirect: ") ||
      StartsWith(m, "warn: ") || StartsWith(m, "info: ") ||
      StartsWith(m, "proxy-accept: ") || StartsWith(m, "proxy-reject: ") ||
      StartsWith(m, "milter-") || StartsWith(m, "prepend: ") ||
      StartsWith(m, "bcc: ")) {
    out->event = LogEvent::kOther;
  }
}

void ParsePostscreen(LogLine* out) {
  sv m = out->message;
  PostscreenEvent e = PostscreenEvent::kNone;
  if (out->queue_id == "NOQUEUE") {
    if (ConsumePrefix(&m, "reject: ") && ParseReject(m, out)) {
      out->postscreen = PostscreenEvent::kNone;
    }
    return;
  }
  if (StartsWith(m, "CONNECT from ")) e = PostscreenEvent::kConnect;
  else if (StartsWith(m, "PASS NEW ")) e = PostscreenEvent::kPassNew;
  else if (StartsWith(m, "PASS OLD ")) e = PostscreenEvent::kPassOld;
  else if (StartsWith(m, "DNSBL rank ")) e = PostscreenEvent::kDnsbl;
  else if (StartsWith(m, "PREGREET ")) e = PostscreenEvent::kPregreet;
  else if (StartsWith(m, "HANGUP ")) e = PostscreenEvent::kHangup;
  else if (StartsWith(m, "DISCONNECT ")) e = PostscreenEvent::kDisconnect;
  else if (StartsWith(m, "WHITELISTED ") || StartsWith(m, "ALLOWLISTED "))
    e = PostscreenEvent::kAllowlisted;
  else if (StartsWith(m, "BLACKLISTED ") || StartsWith(m, "DENYLISTED "))
    e = PostscreenEvent::kDenylisted;
  else if (StartsWith(m, "COMMAND ") || StartsWith(m, "NON-SMTP COMMAND") ||
           StartsWith(m, "BARE NEWLINE"))
    e = PostscreenEvent::kProtocolError;
  else if (StartsWith(m, "WHITELIST VETO") || StartsWith(m, "ALLOWLIST VETO") ||
           StartsWith(m, "cache ") || StartsWith(m, "DATA without") ||
           StartsWith(m, "BDAT without") || IsCommonNoise(m))
    e = PostscreenEvent::kOther;
  if (e == PostscreenEvent::kNone) return;
  out->postscreen = e;
  out->event = LogEvent::kPostscreen;
}

void ParseQmgr(LogLine* out) {
  sv m = out->message;
  if (out->queue_id.empty()) {
    if (IsCommonNoise(m) || StartsWith(m, "flush ") || StartsWith(m, "skipping "))
      out->event = LogEvent::kOther;
    return;
  }
  if (m == "removed") {
    out->event = LogEvent::kQmgrRemoved;
    return;
  }
  if (StartsWith(m, "to=<")) {
    if (ParseDelivery(m, out)) out->event = LogEvent::kDelivery;
    return;
  }
  if (StartsWith(m, "from=<")) {
    if (m.size() > 12 && m.ends_with("(queue active)")) {
      out->event = LogEvent::kQmgrQueued;
      return;
    }
    const size_t st = m.find(">, status=expired");
    if (st != sv::npos) {
      out->status = DeliveryStatus::kExpired;
      out->event = LogEvent::kQmgrExpired;
      return;
    }
    return;
  }
  if (StartsWith(m, "skipped, still being delivered")) out->event = LogEvent::kOther;
}

void ParseCleanup(LogLine* out) {
  sv m = out->message;
  if (out->queue_id.empty()) {
    if (IsCommonNoise(m)) out->event = LogEvent::kOther;
    return;
  }
  if (ConsumePrefix(&m, "reject: ") || ConsumePrefix(&m, "milter-reject: ")) {
    ParseReject(m, out);
    return;
  }
  if (StartsWith(m, "message-id=") || StartsWith(m, "resent-message-id=") ||
      StartsWith(m, "warning: ") || StartsWith(m, "discard: ") ||
      StartsWith(m, "hold: ") || StartsWith(m, "redirect: ") ||
      StartsWith(m, "replace: ") || StartsWith(m, "info: ") ||
      StartsWith(m, "filter: ") || StartsWith(m, "prepend: ") ||
      StartsWith(m, "milter-") || StartsWith(m, "header ") || StartsWith(m, "bcc: ") ||
      StartsWith(m, "strip: ") || StartsWith(m, "warn: "))
    out->event = LogEvent::kOther;
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
    case Program::kDeliveryAgent: ParseDeliveryAgent(out); break;
    case Program::kSmtpd: ParseSmtpd(out); break;
    case Program::kPostscreen: ParsePostscreen(out); break;
    case Program::kQmgr: ParseQmgr(out); break;
    case Program::kCleanup: ParseCleanup(out); break;
    case Program::kPickup:
      if (StartsWith(m, "uid=") || IsCommonNoise(m)) out->event = LogEvent::kOther;
      break;
    case Program::kBounce:
      if (StartsWith(m, "sender ") || StartsWith(m, "postmaster ") || IsCommonNoise(m))
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

bool IsPostfixTag(sv tag) {
  return StartsWith(tag, "postfix");
}

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
    // "Mmm dd hh:mm:ss[.frac]" with dd space-padded, optional year before the time.
    i = 4;
    if (line[i] == ' ') ++i;
    while (i < n && IsDigit(line[i])) ++i;
    if (i >= n || line[i] != ' ') return;
    ++i;
    if (i + 5 < n && IsDigit(line[i]) && IsDigit(line[i + 3]) && line[i + 4] == ' ' &&
        IsDigit(line[i + 1]) && IsDigit(line[i + 2])) {
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
    case DeliveryStatus::kSent: return "sent";
    case DeliveryStatus::kDeferred: return "deferred";
    case DeliveryStatus::kBounced: return "bounced";
    case DeliveryStatus::kExpired: return "expired";
    case DeliveryStatus::kDeliverable: return "deliverable";
    case DeliveryStatus::kUndeliverable: return "undeliverable";
    case DeliveryStatus::kNone: break;
  }
  return "none";
}

const char* RejectClassName(RejectClass c) {
  switch (c) {
    case RejectClass::kRelayDenied: return "relay_denied";
    case RejectClass::kUnknownUser: return "unknown_user";
    case RejectClass::kRbl: return "rbl";
    case RejectClass::kClientRejected: return "client_rejected";
    case RejectClass::kHeloRejected: return "helo_rejected";
    case RejectClass::kSenderRejected: return "sender_rejected";
    case RejectClass::kRecipientRejected: return "recipient_rejected";
    case RejectClass::kGreylisted: return "greylisted";
    case RejectClass::kPolicy: return "policy";
    case RejectClass::kContent: return "content";
    case RejectClass::kOther: break;
  }
  return "other";
}

const char* PostscreenEventName(PostscreenEvent e) {
  switch (e) {
    case PostscreenEvent::kConnect: return "connect";
    case PostscreenEvent::kPassNew: return "pass_new";
    case PostscreenEvent::kPassOld: return "pass_old";
    case PostscreenEvent::kDnsbl: return "dnsbl";
    case PostscreenEvent::kPregreet: return "pregreet";
    case PostscreenEvent::kHangup: return "hangup";
    case PostscreenEvent::kAllowlisted: return "allowlisted";
    case PostscreenEvent::kDenylisted: return "denylisted";
    case PostscreenEvent::kProtocolError: return "protocol_error";
    case PostscreenEvent::kDisconnect: return "disconnect";
    case PostscreenEvent::kOther:
    case PostscreenEvent::kNone: break;
  }
  return "other";
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
    case Severity::kFatal: return "fatal";
    case Severity::kPanic: return "panic";
    case Severity::kInfo: break;
  }
  return "info";
}

}  // namespace mailflow::postfix
