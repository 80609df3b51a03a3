"""The log collector end to end with a real Prometheus evaluating
dashboards/alerts/log.yml (with `for:` shortened) and the Deliveries row
(dashboards/grafana/rows/40-log.json).

Three exporters:
  bad      follows a log written while the test runs: connections refused
           and timed out, slow connection setup (delays= phase c 9 s),
           bounces, greylisting that lasts an hour (delay= 10 s, then 3610 s);
  good     follows fast successful deliveries only;
  stalled  watches a real Postfix instance whose mail moves (every message
           deferred, the queue grows) but follows a file Postfix does not log
           to: the log is silent while mail moves.
bad must raise exactly the five delivery alerts, stalled LogSourceStalled
(problem "silent"), good nothing; every query of the dashboard row returns
data. (A missing file alone, a quiet server or a fresh exporter must not
fire LogSourceStalled: dashboards/alerts/log_test.yml and the healthy corpus.)
"""
import os
import shutil
import subprocess
import threading
import time
import unittest

import harness

RULES = os.path.join(harness.SOURCE_DIR, "dashboards", "alerts", "log.yml")
RECORDING = os.path.join(harness.SOURCE_DIR, "dashboards", "recording", "mailflow.yml")
BAD_ALERTS = {"DeliveryFailuresConnectionRefused", "DeliveryFailuresConnectionTimedOut",
              "SlowConnectionSetup", "GreylistingDelaysHigh", "BounceRateHigh"}

HDR = "Nov 29 10:00:00 mx postfix/%s[42]: "


def delivery(qid, status, delay, delays, dsn, text, program="smtp"):
    return (HDR % program + "%s: to=<u@example.test>, relay=mx.example.test[192.0.2.1]:25, "
            "delay=%s, delays=%s, dsn=%s, status=%s (%s)\n" % (qid, delay, delays, dsn, status, text))


def bad_lines(i):
    q = "%06X" % (0xB00000 + 16 * i)
    refused = "connect to mx.example.test[192.0.2.1]:25: Connection refused"
    timed = "connect to mx.example.test[192.0.2.2]:25: Connection timed out"
    grey = ("host mx.example.test[192.0.2.1] said: 450 4.2.0 <u@example.test>: Recipient "
            "address rejected: Greylisted, see http://postgrey.schweikert.ch/ (in reply to "
            "RCPT TO command)")
    out = [HDR % "smtp" + refused + "\n", HDR % "smtp" + timed + "\n",
           delivery(q + "1", "deferred", 0.5, "0/0/0.5/0", "4.4.1", refused),
           delivery(q + "2", "deferred", 0.5, "0/0/0.5/0", "4.4.1", refused),
           delivery(q + "3", "deferred", 30, "0/0/30/0", "4.4.1", timed),
           delivery(q + "4", "bounced", 1, "0/0/0.5/0.5", "5.1.1",
                    "host mx.example.test[192.0.2.1] said: 550 5.1.1 User unknown"),
           delivery(q + "5", "deferred", 10, "0/0/0.2/0", "4.2.0", grey),
           delivery(q + "5", "sent", 3610, "3600/0.1/9/0.2", "2.0.0", "250 2.0.0 Ok")]
    for k in range(3):
        out.append(delivery(q + "6%d" % k, "sent", 9.4, "0.1/0.1/9/0.2", "2.0.0", "250 2.0.0 Ok"))
    out.append(HDR % "smtpd" + "connect from client.example.test[192.0.2.9]\n")
    out.append(HDR % "smtpd" + "NOQUEUE: reject: RCPT from client.example.test[192.0.2.9]: 554 "
               "5.7.1 <x@elsewhere.test>: Relay access denied; from=<a@b.test> "
               "to=<x@elsewhere.test> proto=ESMTP helo=<client>\n")
    return "".join(out)


def good_lines(i):
    q = "%06X" % (0xC00000 + 16 * i)
    return (HDR % "smtpd" + "connect from client.example.test[192.0.2.9]\n" +
            "".join(delivery(q + str(k), "sent", 0.3, "0.1/0/0.1/0.1", "2.0.0", "250 2.0.0 Ok")
                    for k in range(5)))



class LogPrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = harness.tmpdir("mailflow-log-prom-")
        cls.bad_log = os.path.join(d, "bad.log")
        cls.good_log = os.path.join(d, "good.log")
        cfg = "collectors:\n  log:\n    path: %s\n    poll_interval: 50ms\n"
        args = ["--collector.disable-defaults", "--collector.log"]
        cls.bad = harness.Exporter(args=args, config=cfg % cls.bad_log).start()
        cls.good = harness.Exporter(args=args, config=cfg % cls.good_log).start()
        cls.pf = harness.PostfixInstance().start()
        wrong = os.path.join(d, "not-the-postfix.log")
        open(wrong, "w").close()
        cls.stalled = harness.Exporter(
            args=["--collector.disable-defaults", "--collector.log", "--collector.queue"],
            config="paths:\n  postfix_config_directory: %s\n" % cls.pf.etc +
            "collectors:\n  log:\n    source: file\n    path: %s\n" % wrong).start()
        rules_dir = harness.tmpdir("mailflow-log-rules-")
        shutil.copy(RULES, rules_dir)
        rules = harness.fast_rules(harness.tmpdir(), rules_dir=rules_dir) + [RECORDING]
        cls.prom = harness.Prometheus(
            [cls.bad.address, cls.good.address, cls.stalled.address], rules).start()
        cls.stop_feeding = threading.Event()

        def feed():
            i = 0
            while not cls.stop_feeding.is_set() and i < 600:  # bounded: 5 minutes
                with open(cls.bad_log, "a") as f:
                    f.write(bad_lines(i))
                with open(cls.good_log, "a") as f:
                    f.write(good_lines(i))
                if i % 4 == 0:  # mail into the stalled instance: deferred
                    subprocess.run(["sendmail", "-C", cls.pf.etc, "-f", "a@x.test",
                                    "b@y.test"], input=b"Subject: x\n\nx\n", timeout=30)
                i += 1
                cls.stop_feeding.wait(0.5)
        cls.feeder = threading.Thread(target=feed, daemon=True)
        cls.feeder.start()
        harness.on_exit(cls.stop_feeding.set)

    @classmethod
    def tearDownClass(cls):
        cls.stop_feeding.set()
        cls.feeder.join(10)
        cls.prom.stop()
        cls.pf.stop()

    def alertnames(self, exp):
        return {a["alertname"] for a in self.prom.firing() if a.get("instance") == exp.address}

    def test_alerts(self):
        try:
            harness.wait_for(lambda: BAD_ALERTS <= self.alertnames(self.bad) and
                             "LogSourceStalled" in self.alertnames(self.stalled), 90,
                             interval=0.5, what="log alerts")
        except TimeoutError:
            raise AssertionError("firing: %s" % self.prom.firing())
        time.sleep(3)
        self.assertEqual(self.alertnames(self.bad), BAD_ALERTS)
        self.assertEqual(self.alertnames(self.stalled), {"LogSourceStalled"})
        self.assertEqual({a["problem"] for a in self.prom.firing()
                          if a.get("instance") == self.stalled.address}, {"silent"})
        self.assertEqual(self.alertnames(self.good), set())

    def test_dashboard_row_queries_return_data(self):
        self.assertEqual(self.prom.row_panels_without_data("40-log.json", targets=3, settle=5),
                         [], "panels without data")


if __name__ == "__main__":
    unittest.main()
