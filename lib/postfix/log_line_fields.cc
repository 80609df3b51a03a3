// The fields of Postfix log messages: delivery lines (to=, relay=,
// delays=, status=) and reject replies (stage, code, DSN, reason class).
#include "lib/postfix/log_line_fields.h"

#include <charconv>

#include "lib/postfix/log_line_scan.h"

namespace mailflow::postfix::log_line {

namespace {

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

RejectClass ClassifyReject(sv dsn, sv text) {
  if (ContainsCI(text, "greylist") || ContainsCI(text, "graylist") ||
      dsn == "4.2.0" || (dsn == "4.7.1" && ContainsCI(text, "try again later")))
    return RejectClass::kGreylisted;
  if (ContainsCI(text, "relay access denied")) return RejectClass::kRelayDenied;
  if (ContainsCI(text, "user unknown") || ContainsCI(text, "unknown user"))
    return RejectClass::kUnknownUser;
  if (ContainsCI(text, "blocked using") ||
      ContainsCI(text, "service unavailable; client"))
    return RejectClass::kRbl;
  if (ContainsCI(text, "client host rejected"))
    return RejectClass::kClientRejected;
  if (ContainsCI(text, "helo command rejected"))
    return RejectClass::kHeloRejected;
  if (ContainsCI(text, "sender address rejected"))
    return RejectClass::kSenderRejected;
  if (ContainsCI(text, "recipient address rejected"))
    return RejectClass::kRecipientRejected;
  if (ContainsCI(text, "policy")) return RejectClass::kPolicy;
  return RejectClass::kOther;
}

bool IsDsn(sv t) {
  // d.d{1,3}.d{1,3}
  if (t.size() < 5 || !(t[0] == '2' || t[0] == '4' || t[0] == '5') ||
      t[1] != '.')
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

}  // namespace

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
        case 4:
          if (word == "sent") out->status = DeliveryStatus::kSent;
          break;
        case 7:
          if (word == "bounced")
            out->status = DeliveryStatus::kBounced;
          else if (word == "expired")
            out->status = DeliveryStatus::kExpired;
          break;
        case 8:
          if (word == "deferred") out->status = DeliveryStatus::kDeferred;
          break;
        case 11:
          if (word == "deliverable") out->status = DeliveryStatus::kDeliverable;
          break;
        case 13:
          if (word == "undeliverable")
            out->status = DeliveryStatus::kUndeliverable;
          break;
        default:
          break;
      }
      if (out->status == DeliveryStatus::kNone) return false;
      const size_t open = msg.find('(', wend);
      if (open != sv::npos) {
        size_t close = msg.size();
        while (close > open && msg[close - 1] != ')') --close;
        if (close > open + 1)
          out->reason = msg.substr(open + 1, close - open - 2);
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
        if (key == "relay")
          out->relay = value;
        else if (key == "delay")
          out->delay = ParseNumber(value);
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
  if (text.size() >= 4 && IsDigit(text[0]) && IsDigit(text[1]) &&
      IsDigit(text[2]) && text[3] == ' ') {
    out->reply_code = uint16_t((text[0] - '0') * 100 + (text[1] - '0') * 10 +
                               (text[2] - '0'));
    text.remove_prefix(4);
  }
  const size_t dsn_end = text.find(' ');
  const sv maybe_dsn =
      text.substr(0, dsn_end == sv::npos ? text.size() : dsn_end);
  if (IsDsn(maybe_dsn)) {
    out->dsn = maybe_dsn;
    text.remove_prefix(dsn_end == sv::npos ? text.size() : dsn_end + 1);
  }
  // Cut the trailing "; from=<...> to=<...> proto=... helo=<...>".
  const size_t env = text.rfind("; from=<");
  out->reason = env == sv::npos ? text : text.substr(0, env);
  out->reject_class =
      content ? RejectClass::kContent : ClassifyReject(out->dsn, out->reason);
  return true;
}

}  // namespace mailflow::postfix::log_line
