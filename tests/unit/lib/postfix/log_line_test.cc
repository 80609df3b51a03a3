#include "lib/postfix/log_line.h"

#include <gtest/gtest.h>

namespace mailflow::postfix {
namespace {

LogLine Parse(std::string_view text) {
  LogLine l;
  ParseLogLine(text, &l);
  return l;
}

TEST(LogLineTest, BsdSmtpSent) {
  LogLine l = Parse(
      "Nov 29 10:53:23 mx1 postfix/smtp[4711]: 3F1A21E0012: "
      "to=<bob@example.com>, "
      "relay=mx.example.com[192.0.2.10]:25, delay=1.4, "
      "delays=0.05/0.01/0.9/0.44, "
      "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)");
  EXPECT_EQ(l.event, LogEvent::kDelivery);
  EXPECT_EQ(l.timestamp, "Nov 29 10:53:23");
  EXPECT_EQ(l.host, "mx1");
  EXPECT_EQ(l.tag, "postfix/smtp");
  EXPECT_EQ(l.syslog_name, "postfix");
  EXPECT_EQ(l.program, "smtp");
  EXPECT_EQ(l.queue_id, "3F1A21E0012");
  EXPECT_EQ(l.status, DeliveryStatus::kSent);
  EXPECT_EQ(l.to, "<bob@example.com>");
  EXPECT_EQ(l.relay, "mx.example.com[192.0.2.10]:25");
  EXPECT_EQ(l.dsn, "2.0.0");
  EXPECT_DOUBLE_EQ(l.delay, 1.4);
  EXPECT_DOUBLE_EQ(l.delays[0], 0.05);
  EXPECT_DOUBLE_EQ(l.delays[1], 0.01);
  EXPECT_DOUBLE_EQ(l.delays[2], 0.9);
  EXPECT_DOUBLE_EQ(l.delays[3], 0.44);
  EXPECT_EQ(l.reason, "250 2.0.0 Ok: queued as ABC");
}

TEST(LogLineTest, Rfc3339MultiInstanceLongQueueId) {
  LogLine l = Parse(
      "2026-11-29T10:53:23.123456+01:00 mx1 postfix-out/smtp[99]: "
      "4TqR6k1Dq8z9sGx: "
      "to=<a@b.example>, orig_to=<alias@c.example>, relay=none, delay=30, "
      "delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to "
      "b.example[198.51.100.7]:25: "
      "Connection timed out)\r");
  EXPECT_EQ(l.event, LogEvent::kDelivery);
  EXPECT_EQ(l.timestamp, "2026-11-29T10:53:23.123456+01:00");
  EXPECT_EQ(l.syslog_name, "postfix-out");
  EXPECT_EQ(l.program, "smtp");
  EXPECT_EQ(l.queue_id, "4TqR6k1Dq8z9sGx");
  EXPECT_EQ(l.status, DeliveryStatus::kDeferred);
  EXPECT_EQ(l.dsn, "4.4.1");
  EXPECT_DOUBLE_EQ(l.delays[2], 30);
  EXPECT_EQ(l.reason,
            "connect to b.example[198.51.100.7]:25: Connection timed out");
}

TEST(LogLineTest, SpacePaddedDayYearAndFraction) {
  LogLine l = Parse("Nov  9 01:02:03 h postfix/qmgr[1]: 0123456789AB: removed");
  EXPECT_EQ(l.event, LogEvent::kQmgrRemoved);
  EXPECT_EQ(l.timestamp, "Nov  9 01:02:03");
  l = Parse(
      "Nov 29 2026 01:02:03.123456 h postfix/qmgr[1]: 0123456789AB: removed");
  EXPECT_EQ(l.event, LogEvent::kQmgrRemoved);
  EXPECT_EQ(l.timestamp, "Nov 29 2026 01:02:03.123456");
}

TEST(LogLineTest, ServiceNameInSyslogName) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/submission/smtpd[77]: connect from "
      "client.example[203.0.113.5]");
  EXPECT_EQ(l.event, LogEvent::kSmtpdConnect);
  EXPECT_EQ(l.syslog_name, "postfix/submission");
  EXPECT_EQ(l.program, "smtpd");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/submission/smtpd[77]: disconnect from "
      "client.example[203.0.113.5] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
      "commands=5");
  EXPECT_EQ(l.event, LogEvent::kSmtpdDisconnect);
}

TEST(LogLineTest, NoqueueReject) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/smtpd[77]: NOQUEUE: reject: RCPT from "
      "unknown[203.0.113.5]: 554 5.7.1 <x@y.example>: Relay access denied; "
      "from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<spam>");
  EXPECT_EQ(l.event, LogEvent::kReject);
  EXPECT_EQ(l.queue_id, "NOQUEUE");
  EXPECT_EQ(l.stage, "RCPT");
  EXPECT_EQ(l.reply_code, 554);
  EXPECT_EQ(l.dsn, "5.7.1");
  EXPECT_EQ(l.reason, "<x@y.example>: Relay access denied");
  EXPECT_EQ(l.reject_class, RejectClass::kRelayDenied);
}

TEST(LogLineTest, RejectClasses) {
  struct Case {
    const char* text;
    RejectClass want;
  } cases[] = {
      {"450 4.2.0 <x@y>: Recipient address rejected: Greylisted, see http://x",
       RejectClass::kGreylisted},
      {"450 4.7.1 <x@y>: Recipient address rejected: Please try again later",
       RejectClass::kGreylisted},
      {"550 5.1.1 <x@y>: Recipient address rejected: User unknown in local "
       "recipient table",
       RejectClass::kUnknownUser},
      {"554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using "
       "zen.spamhaus.org",
       RejectClass::kRbl},
      {"450 4.7.25 Client host rejected: cannot find your hostname, [1.2.3.4]",
       RejectClass::kClientRejected},
      {"504 5.5.2 <x>: Helo command rejected: need fully-qualified hostname",
       RejectClass::kHeloRejected},
      {"553 5.7.1 <a@b>: Sender address rejected: not logged in",
       RejectClass::kSenderRejected},
      {"554 5.7.1 <x@y>: Recipient address rejected: no thanks",
       RejectClass::kRecipientRejected},
      {"421 4.3.2 something else", RejectClass::kOther},
  };
  for (const Case& c : cases) {
    std::string line =
        std::string(
            "Nov 29 10:00:00 mx postfix/smtpd[7]: NOQUEUE: reject: RCPT "
            "from h[1.2.3.4]: ") +
        c.text + "; from=<a@b> to=<x@y> proto=ESMTP helo=<h>";
    LogLine l = Parse(line);
    EXPECT_EQ(l.event, LogEvent::kReject) << c.text;
    EXPECT_EQ(l.reject_class, c.want) << c.text;
  }
}

TEST(LogLineTest, Postscreen) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/postscreen[5]: CONNECT from "
      "[203.0.113.5]:4321 "
      "to [192.0.2.1]:25");
  EXPECT_EQ(l.event, LogEvent::kPostscreen);
  EXPECT_EQ(l.postscreen, PostscreenEvent::kConnect);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/postscreen[5]: PASS NEW [203.0.113.5]:4321");
  EXPECT_EQ(l.postscreen, PostscreenEvent::kPassNew);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/postscreen[5]: DNSBL rank 3 for "
      "[203.0.113.5]:4321");
  EXPECT_EQ(l.postscreen, PostscreenEvent::kDnsbl);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/postscreen[5]: PREGREET 11 after 0.1 from "
      "[203.0.113.5]:4321: EHLO x\\r\\n");
  EXPECT_EQ(l.postscreen, PostscreenEvent::kPregreet);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/postscreen[5]: NOQUEUE: reject: RCPT from "
      "[203.0.113.5]:4321: 550 5.7.1 Service unavailable; client [203.0.113.5] "
      "blocked "
      "using zen.spamhaus.org; from=<a@b>, to=<c@d>, proto=ESMTP, helo=<x>");
  EXPECT_EQ(l.event, LogEvent::kReject);
  EXPECT_EQ(l.reply_code, 550);
  EXPECT_EQ(l.reject_class, RejectClass::kRbl);
}

TEST(LogLineTest, QmgrLines) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/qmgr[5]: 3F1A21E0012: from=<a@b.example>, "
      "size=1234, nrcpt=2 (queue active)");
  EXPECT_EQ(l.event, LogEvent::kQmgrQueued);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/qmgr[5]: 3F1A21E0012: from=<a@b.example>, "
      "status=expired, returned to sender");
  EXPECT_EQ(l.event, LogEvent::kQmgrExpired);
  EXPECT_EQ(l.status, DeliveryStatus::kExpired);
}

TEST(LogLineTest, OtherDeliveryAgents) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/local[5]: 3F1A21E0012: to=<bob@mx.example>, "
      "orig_to=<root>, relay=local, delay=0.02, delays=0.01/0/0/0.01, "
      "dsn=2.0.0, "
      "status=sent (delivered to mailbox)");
  EXPECT_EQ(l.event, LogEvent::kDelivery);
  EXPECT_EQ(l.program, "local");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/virtual[5]: 3F1A21E0012: to=<bob@v.example>, "
      "relay=virtual, delay=0.1, delays=0.05/0/0/0.05, dsn=5.2.2, "
      "status=bounced "
      "(mailbox full)");
  EXPECT_EQ(l.status, DeliveryStatus::kBounced);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/pipe[5]: 3F1A21E0012: to=<bob@v.example>, "
      "relay=dovecot, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent "
      "(delivered via dovecot service)");
  EXPECT_EQ(l.relay, "dovecot");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/lmtp[5]: 3F1A21E0012: to=<bob@v.example>, "
      "relay=mail.example[private/dovecot-lmtp], conn_use=2, delay=0.3, "
      "delays=0.1/0/0/4.5e-05, dsn=4.2.2, status=deferred (host said: 452 "
      "4.2.2 Quota exceeded)");
  EXPECT_EQ(l.status, DeliveryStatus::kDeferred);
  EXPECT_DOUBLE_EQ(l.delays[3], 4.5e-05);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/error[5]: 3F1A21E0012: to=<x@errored.test>, "
      "relay=none, delay=0.01, delays=0/0/0/0, dsn=5.1.1, status=bounced (no "
      "such user)");
  EXPECT_EQ(l.program, "error");
  EXPECT_EQ(l.status, DeliveryStatus::kBounced);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: 3F1A21E0012: to=<x@e.example>, "
      "relay=none, "
      "delay=432000, delays=431999/1/0/0, dsn=4.4.1, status=expired (connect "
      "to x: "
      "Connection refused)");
  EXPECT_EQ(l.status, DeliveryStatus::kExpired);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: 3F1A21E0012: to=<x@e.example>, "
      "relay=mx[1.2.3.4]:25, delay=1, delays=0/0/1/0, dsn=2.1.5, "
      "status=deliverable "
      "(250 2.1.5 Ok)");
  EXPECT_EQ(l.status, DeliveryStatus::kDeliverable);
  // An address with ">, " inside quotes does not end the field early.
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: 3F1A21E0012: to=<\"a, "
      "b\"@e.example>, "
      "relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (x)");
  EXPECT_EQ(l.to, "<\"a, b\"@e.example>");
}

TEST(LogLineTest, ConnectFailuresAndTls) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: connect to "
      "mx.example[192.0.2.1]:25: "
      "No route to host");
  EXPECT_EQ(l.event, LogEvent::kConnectFailure);
  EXPECT_EQ(l.reason, "No route to host");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: connect to "
      "mx.example[2001:db8::1]:25: "
      "Network is unreachable");
  EXPECT_EQ(l.reason, "Network is unreachable");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: SSL_connect error to "
      "mx.example[192.0.2.1]:25: -1");
  EXPECT_EQ(l.event, LogEvent::kTlsFailure);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: warning: TLS library problem: "
      "error:0A000086:SSL routines::certificate verify failed");
  EXPECT_EQ(l.event, LogEvent::kTlsFailure);
  EXPECT_EQ(l.severity, Severity::kWarning);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: SSL_accept error from "
      "client[203.0.113.5]: "
      "lost connection");
  EXPECT_EQ(l.event, LogEvent::kTlsFailure);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: Untrusted TLS connection "
      "established to "
      "mx.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
      "(256/256 bits)");
  EXPECT_EQ(l.event, LogEvent::kOther);
}

TEST(LogLineTest, SmtpdLostConnection) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: lost connection after DATA (0 "
      "bytes) "
      "from client[203.0.113.5]");
  EXPECT_EQ(l.event, LogEvent::kLostConnection);
  EXPECT_EQ(l.stage, "DATA");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: timeout after END-OF-MESSAGE from "
      "client[203.0.113.5]");
  EXPECT_EQ(l.stage, "END-OF-MESSAGE");
}

TEST(LogLineTest, CleanupReject) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/cleanup[5]: 3F1A21E0012: reject: header "
      "Subject: buy now: cheap from client[203.0.113.5]; from=<a@b> to=<c@d> "
      "proto=ESMTP helo=<x>: 5.7.1 spam subject");
  EXPECT_EQ(l.event, LogEvent::kReject);
  EXPECT_EQ(l.stage, "header");
  EXPECT_EQ(l.reply_code, 0);
  EXPECT_EQ(l.dsn, "5.7.1");
  EXPECT_EQ(l.reason, "spam subject");
  EXPECT_EQ(l.reject_class, RejectClass::kContent);
}

TEST(LogLineTest, ForeignAndUnparsed) {
  LogLine l =
      Parse("Nov 29 10:00:00 mx dovecot: imap-login: Login: user=<bob>");
  EXPECT_EQ(l.event, LogEvent::kForeign);
  l = Parse(
      "Nov 29 10:00:00 mx opendkim[12]: 3F1A21E0012: DKIM-Signature field "
      "added");
  EXPECT_EQ(l.event, LogEvent::kForeign);
  l = Parse("hello world");
  EXPECT_EQ(l.event, LogEvent::kUnparsed);
  EXPECT_EQ(l.program, "");
  l = Parse("");
  EXPECT_EQ(l.event, LogEvent::kUnparsed);
  l = Parse("Nov 29 10:00:00 mx postfix/smtpd[5]: something new in Postfix 4");
  EXPECT_EQ(l.event, LogEvent::kUnparsed);
  EXPECT_EQ(l.program, "smtpd");
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtp[5]: 3F1A21E0012: to=<a@b>, relay=none, "
      "status=weird (x)");
  EXPECT_EQ(l.event, LogEvent::kUnparsed);
}

TEST(LogLineTest, SeverityAndLenientPrograms) {
  LogLine l = Parse(
      "Nov 29 10:00:00 mx postfix/master[1]: daemon started -- version 3.7.11, "
      "configuration /etc/postfix");
  EXPECT_EQ(l.event, LogEvent::kOther);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/smtpd[5]: warning: hostname x does not "
      "resolve to "
      "address 1.2.3.4");
  EXPECT_EQ(l.event, LogEvent::kOther);
  EXPECT_EQ(l.severity, Severity::kWarning);
  l = Parse(
      "Nov 29 10:00:00 mx postfix/postfix-script[9]: fatal: the Postfix mail "
      "system is "
      "not running");
  EXPECT_EQ(l.severity, Severity::kFatal);
}

TEST(LogLineTest, JournalMessage) {
  LogLine l;
  ParseLogMessage("postfix/qmgr", "ABCDEF123: removed", &l);
  EXPECT_EQ(l.event, LogEvent::kQmgrRemoved);
  EXPECT_EQ(l.queue_id, "ABCDEF123");
  ParseLogMessage("sshd", "Accepted publickey", &l);
  EXPECT_EQ(l.event, LogEvent::kForeign);
}

}  // namespace
}  // namespace mailflow::postfix
