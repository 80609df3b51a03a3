// The messages of each Postfix program: delivery agents (smtp, lmtp, local,
// ...), smtpd, postscreen, qmgr and cleanup; what each understood line is.
#include "lib/postfix/log_line_programs.h"

#include "lib/postfix/log_line_fields.h"
#include "lib/postfix/log_line_scan.h"

namespace mailflow::postfix::log_line {

bool IsTlsFailure(sv m) {
  return StartsWith(m, "SSL_connect error") ||
         StartsWith(m, "SSL_accept error") ||
         StartsWith(m, "TLS library problem") ||
         StartsWith(m, "TLS handshake failed") ||
         StartsWith(m, "Cannot start TLS");
}

namespace {

bool IsTlsEstablished(sv m) {
  return StartsWith(m, "Anonymous TLS connection") ||
         StartsWith(m, "Untrusted TLS connection") ||
         StartsWith(m, "Trusted TLS connection") ||
         StartsWith(m, "Verified TLS connection") ||
         StartsWith(m, "Anonymous TLS connection");
}

}  // namespace

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
        StartsWith(m, "client certificate") ||
        StartsWith(m, "server certificate")) {
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
      StartsWith(m, "lost connection with ") ||
      StartsWith(m, "conversation with ") || StartsWith(m, "server features") ||
      IsCommonNoise(m)) {
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
  if (StartsWith(m, "CONNECT from "))
    e = PostscreenEvent::kConnect;
  else if (StartsWith(m, "PASS NEW "))
    e = PostscreenEvent::kPassNew;
  else if (StartsWith(m, "PASS OLD "))
    e = PostscreenEvent::kPassOld;
  else if (StartsWith(m, "DNSBL rank "))
    e = PostscreenEvent::kDnsbl;
  else if (StartsWith(m, "PREGREET "))
    e = PostscreenEvent::kPregreet;
  else if (StartsWith(m, "HANGUP "))
    e = PostscreenEvent::kHangup;
  else if (StartsWith(m, "DISCONNECT "))
    e = PostscreenEvent::kDisconnect;
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
    if (IsCommonNoise(m) || StartsWith(m, "flush ") ||
        StartsWith(m, "skipping "))
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
  if (StartsWith(m, "skipped, still being delivered"))
    out->event = LogEvent::kOther;
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
      StartsWith(m, "milter-") || StartsWith(m, "header ") ||
      StartsWith(m, "bcc: ") || StartsWith(m, "strip: ") ||
      StartsWith(m, "warn: "))
    out->event = LogEvent::kOther;
}

}  // namespace mailflow::postfix::log_line
