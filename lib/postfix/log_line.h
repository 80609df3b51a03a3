// Postfix log line parser: one syslog / maillog_file / journal line in, a
// struct of string_views out. Pure: no I/O, no Prometheus, no allocation,
// no regex (the log collector must parse >= 1M lines/s on one core).
//
// Understood line shapes (Postfix 2.x/3.x):
//   BSD syslog       "Nov 29 10:53:23 host postfix/smtp[123]: MESSAGE"
//   RFC 3339         "2026-11-29T10:53:23.123456+00:00 host postfix/smtp[123]:
//   MESSAGE" maillog_file     "Nov 29 10:53:23 host postfix/smtp[123]: MESSAGE"
//   (postlogd,
//                    optionally with a year or fractional seconds)
// Syslog names may carry an instance ("postfix-out/smtp") and a master.cf
// service ("postfix/submission/smtpd"). Queue ids are short (hex) or long
// (Postfix >= 2.9 enable_long_queue_ids).
#pragma once

#include <cstdint>
#include <string_view>

namespace mailflow::postfix {

/// What a line is about. kUnparsed lines are Postfix lines that should have
/// been understood (counted per program, never dropped silently).
enum class LogEvent : uint8_t {
  kUnparsed = 0,  // header not understood, or a Postfix message we do not know
  kForeign,       // a well-formed syslog line from a non-Postfix program
  kOther,         // a Postfix line understood but without a metric
  kDelivery,      // QID: to=<...>, relay=..., delays=..., status=...
  kConnectFailure,   // smtp/lmtp: connect to HOST[ADDR]:PORT: REASON
  kTlsFailure,       // smtp/lmtp/smtpd/tlsproxy TLS handshake failure
  kLostConnection,   // smtpd: lost connection after CMD from HOST[ADDR]
  kSmtpdConnect,     // smtpd: connect from HOST[ADDR]
  kSmtpdDisconnect,  // smtpd: disconnect from HOST[ADDR] ...
  kReject,           // smtpd/postscreen/cleanup: NOQUEUE|QID: reject: ...
  kPostscreen,       // postscreen: CONNECT / PASS NEW / DNSBL ... (see
                     // PostscreenEvent)
  kQmgrQueued,       // qmgr: QID: from=<...>, size=N, nrcpt=N (queue active)
  kQmgrRemoved,      // qmgr: QID: removed
  kQmgrExpired,  // qmgr: QID: from=<...>, status=expired, returned to sender
};

enum class DeliveryStatus : uint8_t {
  kNone = 0,
  kSent,
  kDeferred,
  kBounced,
  kExpired,
  kDeliverable,
  kUndeliverable,
};

enum class Severity : uint8_t { kInfo = 0, kWarning, kError, kFatal, kPanic };

enum class PostscreenEvent : uint8_t {
  kNone = 0,
  kConnect,
  kPassNew,
  kPassOld,
  kDnsbl,
  kPregreet,
  kHangup,
  kAllowlisted,
  kDenylisted,
  kProtocolError,
  kDisconnect,
  kOther,
};

/// Reason class of an smtpd/postscreen reject, from the reply text.
enum class RejectClass : uint8_t {
  kOther = 0,
  kRelayDenied,
  kUnknownUser,
  kRbl,
  kClientRejected,
  kHeloRejected,
  kSenderRejected,
  kRecipientRejected,
  kGreylisted,
  kPolicy,
  kContent,
};

struct LogLine {
  LogEvent event = LogEvent::kUnparsed;
  Severity severity = Severity::kInfo;

  // Header. `tag` is the whole syslog identifier ("postfix/submission/smtpd"),
  // `syslog_name` everything before its last '/' ("postfix/submission"),
  // `program` the last component ("smtpd").
  std::string_view timestamp;
  std::string_view host;
  std::string_view tag;
  std::string_view syslog_name;
  std::string_view program;
  std::string_view queue_id;  // empty, or "NOQUEUE" for rejects without one
  std::string_view message;  // after "QID: " (or the whole message without one)

  // kDelivery, kQmgrExpired.
  DeliveryStatus status = DeliveryStatus::kNone;
  std::string_view to;
  std::string_view relay;
  std::string_view dsn;
  /// The parenthesised status text of a delivery, the REASON of a connect
  /// failure, the reply text of a reject (after the code).
  std::string_view reason;
  double delay = -1;                    // delay=, -1 when absent
  double delays[4] = {-1, -1, -1, -1};  // delays=a/b/c/d, -1 when absent

  // kReject.
  uint16_t reply_code = 0;  // 450, 550, 554, ...
  std::string_view stage;   // CONNECT, EHLO, HELO, MAIL, RCPT, DATA,
                            // END-OF-MESSAGE, header, body ...
  RejectClass reject_class = RejectClass::kOther;

  // kPostscreen.
  PostscreenEvent postscreen = PostscreenEvent::kNone;
};

/// Parses one line without its trailing newline (a trailing '\r' is ignored).
/// Never fails: unknown input yields event kUnparsed (or kForeign).
/// The views point into `line`.
void ParseLogLine(std::string_view line, LogLine* out);

/// Parses a message whose syslog identifier and text arrive separately (the
/// systemd journal: SYSLOG_IDENTIFIER and MESSAGE). `out` header fields other
/// than tag/syslog_name/program are left empty.
void ParseLogMessage(std::string_view tag, std::string_view message,
                     LogLine* out);

/// True when `tag` names a Postfix program: its first '/'-component starts
/// with "postfix" (postfix, postfix-out, postfix/submission/smtpd).
bool IsPostfixTag(std::string_view tag);

const char* DeliveryStatusName(DeliveryStatus s);
const char* RejectClassName(RejectClass c);
const char* PostscreenEventName(PostscreenEvent e);
const char* SeverityName(Severity s);

}  // namespace mailflow::postfix
