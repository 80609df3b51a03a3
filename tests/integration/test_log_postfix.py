"""The log collector against a real Postfix: real log lines, golden counts.

A private Postfix instance (logging to DIR/postfix.log via maillog_file)
delivers to peers on 127.0.0.1 that accept (smtp-sink), refuse (nothing
listening), drop (a listener whose accept queue is full: SYNs are dropped,
so connect() times out), greylist with 450 4.2.0 and later accept, and
bounce with 550 (tools/greylist_peer.py); to a host whose name cannot be
resolved (Postfix runs in a private mount namespace whose /etc/resolv.conf
names 127.0.0.2, where no DNS server listens: nothing leaves loopback); and
to the error transport. smtpd rejects one recipient and a second smtpd
service logs as postfix/submission. The exporter follows the log from the
beginning; its counters must equal the counts the scenario implies.

Set MAILFLOW_SAVE_LOG_CORPUS=PATH to keep the log (tests/fixtures/log/ holds
one such capture, used by the unit tests).
"""
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import unittest

import harness
from harness import (Diagnosis, Exporter, PostfixInstance, free_port, on_exit, run,
                     start_process, wait_for)

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools")


class MountNsPostfix(PostfixInstance):
    """Starts master in a private mount namespace with its own resolv.conf."""

    def start(self):
        resolv = os.path.join(self.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.2\noptions timeout:1 attempts:1\n")
        run(["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount --bind "$1" /etc/resolv.conf && exec postfix -c "$2" start',
             "sh", resolv, self.etc])
        self.running = True
        wait_for(lambda: harness._port_listening(self.smtp_port), 15, what="postfix smtpd")
        return self


def drop_listener():
    """A port whose accept queue is full: further SYNs are dropped."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.2)

    def close():
        for c in fillers:
            c.close()
        s.close()
    on_exit(close)
    return port


def send(port, rcpt, sender="sender@accept.test"):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(sender, [rcpt], "Subject: log test\r\n\r\nhello\r\n")


def queue_ids(log, rcpt):
    return re.findall(r"\]: ([0-9A-F]{6,}): to=<%s>" % re.escape(rcpt), log)


class LogPostfixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        accept_port, refuse_port, grey_port = free_port(), free_port(), free_port()
        drop_port = drop_listener()
        start_process(["smtp-sink", "-u", "nobody", "127.0.0.1:%d" % accept_port, "100"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        start_process([sys.executable, os.path.join(TOOLS, "greylist_peer.py"),
                       str(grey_port), "--delay", "1"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for(lambda: harness._port_listening(accept_port), 10, what="smtp-sink")
        wait_for(lambda: harness._port_listening(grey_port), 10, what="greylist peer")
        pf = MountNsPostfix()
        cls.pf = pf
        transport = os.path.join(pf.etc, "transport")
        with open(transport, "w") as f:
            f.write("accept.test smtp:[127.0.0.1]:%d\n" % accept_port)
            f.write("refused.test smtp:[127.0.0.1]:%d\n" % refuse_port)
            f.write("dropped.test smtp:[127.0.0.1]:%d\n" % drop_port)
            f.write("grey.test smtp:[127.0.0.1]:%d\n" % grey_port)
            f.write("hard.test smtp:[127.0.0.1]:%d\n" % grey_port)
            f.write("nxdomain.test smtp:[mx.nxdomain.test]\n")
            f.write("errored.test error:5.1.1 no such user here\n")
        access = os.path.join(pf.etc, "rcpt_access")
        with open(access, "w") as f:
            f.write("blocked.test REJECT no thanks\n")
        cls.submission_port = free_port()
        pf.set(transport_maps="texthash:" + transport,
               smtpd_recipient_restrictions="check_recipient_access texthash:%s "
               "permit_mynetworks reject_unauth_destination" % access,
               smtp_connect_timeout="2s",
               smtp_dns_support_level="enabled")
        pf.set_smtp_service("127.0.0.1:%d" % cls.submission_port,
                            "inet n - n - - smtpd -o syslog_name=postfix/submission")
        pf.start()
        wait_for(lambda: harness._port_listening(cls.submission_port), 15, what="submission")

        for i in range(3):
            send(pf.smtp_port, "user%d@accept.test" % i)
        send(pf.smtp_port, "u1@refused.test")
        send(cls.submission_port, "u2@refused.test")
        send(pf.smtp_port, "u@dropped.test")
        send(pf.smtp_port, "grey1@grey.test")
        send(pf.smtp_port, "bounce1@hard.test")
        send(pf.smtp_port, "u@nxdomain.test")
        # smtpd would reject a recipient routed to the error transport:
        # submit it locally (sendmail -> postdrop -> pickup).
        run(["sendmail", "-C", pf.etc, "-f", "sender@accept.test", "u@errored.test"],
            input="Subject: log test\n\nhello\n")
        with smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=30) as s:
            s.mail("sender@accept.test")
            code, _ = s.rcpt("u@blocked.test")
            assert code == 554, code

        def log():
            with open(pf.log_file) as f:
                return f.read()

        def settled():
            text = log()
            done = (len(re.findall(r"status=sent", text)) >= 5 and   # 3 + 2 bounce notices
                    "status=deferred (connect to 127.0.0.1[127.0.0.1]:%d: Connection timed out"
                    % drop_port in text and
                    len(re.findall(r"Connection refused\)", text)) >= 2 and
                    "Host or domain name not found" in text and
                    "Greylisted" in text and "no such user here" in text)
            return done and text
        wait_for(settled, 60, interval=0.2, what="the scenario's first delivery attempts")
        # While grey1 waits for its retry (minimal_backoff_time = 3600s):
        # what diagnose says with the queue, postfix and log collectors.
        diag_config = os.path.join(pf.dir, "diagnose.yml")
        with open(diag_config, "w") as f:
            f.write("paths:\n  postfix_config_directory: %s\n"
                    "smtp_ports: [%d, %d]\n"
                    "collectors:\n  log:\n    path: %s\n    start_at: beginning\n"
                    % (pf.etc, pf.smtp_port, cls.submission_port, pf.log_file))
        cls.waiting_diagnosis = harness.run_diagnose(
            ["--collector.disable-defaults", "--collector.postfix", "--collector.queue",
             "--collector.log"], diag_config)
        time.sleep(1.2)  # greylisting period of the peer
        qid = queue_ids(log(), "grey1@grey.test")[0]
        run(["postqueue", "-c", pf.etc, "-i", qid])
        wait_for(lambda: re.search(r"%s: to=<grey1@grey.test>.*status=sent" % qid, log()), 30,
                 interval=0.2, what="greylisted mail delivered on retry")
        wait_for(lambda: len(re.findall(r": removed", log())) >= 8, 30, interval=0.2,
                 what="qmgr to finish")
        cls.log_text = log()
        save = os.environ.get("MAILFLOW_SAVE_LOG_CORPUS")
        if save:
            shutil.copy(pf.log_file, save)
        cls.exporter = Exporter(args=["--collector.disable-defaults", "--collector.log"], config="""
collectors:
  log:
    path: %s
    start_at: beginning
    poll_interval: 50ms
""" % pf.log_file).start()

    def scrape_settled(self):
        n = len(self.log_text.splitlines())
        return wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") >= n and m)(
            self.exporter.scrape()), 20, what="exporter to read the log")

    def test_golden_counts(self):
        m = self.scrape_settled()
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"), 6)
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="deferred",
                               transport="smtp"), 5)
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="bounced",
                               transport="smtp"), 1)
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="bounced",
                               transport="error"), 1)
        errors = {l["reason"]: v for l, v in m.find("mailflow_log_delivery_errors_total",
                                                     status="deferred") if v}
        self.assertEqual(errors, {"connection_refused": 2, "connection_timed_out": 1,
                                  "host_not_found": 1, "greylisted": 1})
        self.assertEqual(m.get("mailflow_log_delivery_errors_total", status="bounced",
                               reason="other", transport="smtp"), 1)
        self.assertEqual(m.get("mailflow_log_delivery_errors_total", status="bounced",
                               reason="other", transport="error"), 1)
        self.assertEqual(m.get("mailflow_log_smtp_connect_failures_total",
                               reason="connection_refused"), 2)
        self.assertEqual(m.get("mailflow_log_smtp_connect_failures_total",
                               reason="connection_timed_out"), 1)
        self.assertEqual(m.get("mailflow_log_smtpd_connections_total", syslog_name="postfix"), 10)
        self.assertEqual(m.get("mailflow_log_smtpd_connections_total",
                               syslog_name="postfix/submission"), 2)
        self.assertEqual(m.get("mailflow_log_rejects_total", program="smtpd", code="554",
                               reason="recipient_rejected"), 1)
        self.assertEqual(m.get("mailflow_log_greylist_deferrals_total"), 1)
        self.assertEqual(m.get("mailflow_log_greylist_delay_seconds_count"), 1)
        self.assertEqual(m.get("mailflow_log_greylist_tracked_messages"), 0)
        self.assertEqual(m.get("mailflow_log_messages_total", event="removed"), 8)
        # Phase delays: one observation per final status (6 sent + 2 bounced).
        for phase in ("before_qmgr", "in_qmgr", "connection_setup", "transmission"):
            self.assertEqual(m.get("mailflow_log_delivery_delay_seconds_count", phase=phase), 8,
                             phase)

    def test_diagnose_greylisting(self):
        # While the greylisted mail waits: Postfix retries only after
        # minimal_backoff_time (3600 s here), far beyond a greylisting
        # window: the greylisting step warns and says what to change.
        d = self.waiting_diagnosis
        self.assertEqual(d.problems(), {"greylisting": "warn"}, d)
        f = d.finding("greylisting", status="warn")
        self.assertIn("1 recipient greylisted by the receiver waits for Postfix's next retry, "
                      "at the earliest after 1h 0m", f["summary"])
        ev = Diagnosis.evidence(f)
        self.assertRegex(ev[0], r"^4\.2\.0 host 127\.0\.0\.1\[127\.0\.0\.1\] said: 450 "
                                r"4\.2\.0 .*Greylisted.* \[defer log of [0-9A-F]+\]$")
        with open(os.path.join(self.pf.etc, "main.cf")) as mf:
            n = next(i for i, l in enumerate(mf, 1) if l.startswith("minimal_backoff_time"))
        self.assertEqual(ev[1], "minimal_backoff_time = 3600s [%s/main.cf:%d]"
                         % (self.pf.etc, n))
        self.assertIn("minimal_backoff_time=300s", f["fix"])
        self.assertEqual(f["runbook"]["name"], "GreylistingDelaysHigh")
        log = [x for x in d.findings("greylisting") if "greylisted by a receiver" in x["summary"]]
        self.assertEqual(len(log), 1, d)
        self.assertIn("1 still waits", log[0]["summary"])
        # Once delivered: the log says how long greylisting held it up.
        self.scrape_settled()
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {}, d)
        f = d.finding("greylisting")
        self.assertRegex(f["summary"], r"^1 delivery was greylisted by a receiver; 90% of "
                                       r"those delivered since arrived within \d+ s$")
        self.assertRegex(Diagnosis.evidence(f)[0], r"^[0-9A-F]+: to=<grey1@grey\.test>.*"
                                                   r"status=deferred .*Greylisted")

    def test_every_line_understood(self):
        m = self.scrape_settled()
        unparsed = {l["program"]: v for l, v in m.find("mailflow_log_unparsed_lines_total") if v}
        self.assertEqual(unparsed, {}, "unparsed lines; log:\n" + self.log_text)
        self.assertEqual(m.get("mailflow_log_foreign_lines_total"), 0)
        self.assertEqual(m.get("mailflow_log_source_up", source="file"), 1)
        self.assertGreaterEqual(m.get("mailflow_log_file_position_bytes"), len(self.log_text.encode()))


if __name__ == "__main__":
    unittest.main()
