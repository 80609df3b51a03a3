"""Two real Postfix instances as postmulti lays them out, one exporter.

The default instance's main.cf lists the second one in
multi_instance_directories (with multi_instance_enable, as `postmulti -e
init` and `-e create` write them; the test starts each instance itself, as
Debian's postfix@.service does). Both run in a network namespace the test
makes and log to one file, as syslog would:

- "postfix" (the default instance) is healthy: it listens on every address
  and its mail is delivered to an smtp-sink;
- "postfix-out" is broken: inet_interfaces = loopback-only, a relayhost that
  refuses connections, a dozen deferred recipients.

The metrics carry postfix_instance and tell the two apart (queue, log lines
by syslog_name, config findings, listener mismatches), and a real
Prometheus evaluating the shipped alert and recording rules names
postfix-out, never the healthy instance.
"""
import os
import subprocess
import unittest

import harness
from harness import Exporter, PostfixInstance, Prometheus, wait_for
from netns import NetnsPair

BROKEN = "postfix-out"
HEALTHY = "postfix"


class MultiInstanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = NetnsPair("mi")
        ns = cls.net.a
        cls.log = os.path.join(harness.tmpdir("mailflow-multi-"), "mail.log")
        sink_port = harness.free_port()
        cls.sink = cls.net.popen(ns, ["smtp-sink", "-u", "nobody",
                                      "127.0.0.1:%d" % sink_port, "100"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.out = PostfixInstance(netns=ns)
        cls.out.set(multi_instance_name=BROKEN, multi_instance_enable="yes",
                    multi_instance_group="mta", syslog_name="$multi_instance_name",
                    maillog_file=cls.log)
        cls.default = PostfixInstance(netns=ns, relay_port=sink_port)
        cls.default.set(multi_instance_directories=cls.out.etc,
                        multi_instance_enable="yes", inet_interfaces="all",
                        maillog_file=cls.log)
        # smtpd on every address of the namespace (loopback and the veth).
        cls.default.postconf("-MX", "127.0.0.1:%d/inet" % cls.default.smtp_port)
        cls.default.set_smtp_service(str(cls.default.smtp_port))
        cls.default.start()
        cls.out.start()
        for pf, domain, n in ((cls.out, "refused.test", 12), (cls.default, "ok.test", 2)):
            for i in range(n):
                subprocess.run(["sendmail", "-C", pf.etc, "-f", "a@mailflow-ci.test",
                                "u%d@%s" % (i, domain)], input="Subject: t\n\nhi\n",
                               text=True, check=True, timeout=30)

        def settled():
            with open(cls.log) as f:
                text = f.read()
            return (text.count("status=deferred") >= 12 and text.count("status=sent") >= 2)
        wait_for(settled, 120, interval=0.5, what="deferrals and deliveries logged")
        cls.exporter = Exporter(
            netns=ns,
            config=harness.exporter_config(cls.default, smtp_ports=[
                cls.default.smtp_port, cls.out.smtp_port]).replace(
                    cls.default.log_file, cls.log)).start()

    def scrape(self):
        return self.exporter.scrape()

    def test_metrics_name_each_instance(self):
        m = self.scrape()
        log = self.exporter.log()
        for c in ("postfix", "queue", "listen", "log"):
            self.assertEqual(m.get("mailflow_collector_success", collector=c), 1, c + log)
        self.assertEqual(m.get("mailflow_postfix_instance_enabled", postfix_instance=HEALTHY,
                               config_directory=self.default.etc), 1)
        self.assertEqual(m.get("mailflow_postfix_instance_enabled", postfix_instance=BROKEN,
                               config_directory=self.out.etc), 1)
        for name in (HEALTHY, BROKEN):
            self.assertEqual(m.get("mailflow_postfix_up", postfix_instance=name), 1, name)
        self.assertEqual(m.get("mailflow_postfix_inet_interfaces_loopback_only",
                               postfix_instance=BROKEN), 1)
        self.assertEqual(m.get("mailflow_postfix_inet_interfaces_loopback_only",
                               postfix_instance=HEALTHY), 0)
        # Queues: each instance's own.
        self.assertEqual(m.get("mailflow_queue_messages", postfix_instance=BROKEN,
                               queue="deferred"), 12)
        self.assertEqual(m.get("mailflow_queue_messages", postfix_instance=HEALTHY,
                               queue="deferred"), 0)
        self.assertEqual(m.get("mailflow_queue_deferred_recipients", postfix_instance=BROKEN,
                               reason="connection_refused"), 12)
        # Log lines by syslog_name: postfix-out/smtp is the broken instance's.
        m = wait_for(lambda: (lambda m: m.get(
            "mailflow_log_deliveries_total", postfix_instance=HEALTHY, status="sent",
            transport="smtp") == 2 and m)(self.scrape()), 20, what="log lines counted")
        # (After the first refusals qmgr suspends the destination: the rest
        # are deferred by the retry transport.)
        self.assertEqual(sum(v for _, v in m.find("mailflow_log_deliveries_total",
                                                  postfix_instance=BROKEN,
                                                  status="deferred")), 12)
        self.assertEqual(m.get("mailflow_log_deliveries_total", postfix_instance=BROKEN,
                               status="sent", transport="smtp"), 0)
        self.assertEqual(sum(v for _, v in m.find("mailflow_log_deliveries_total",
                                                  postfix_instance=HEALTHY,
                                                  status="deferred")), 0)
        # The source-level series have no instance.
        self.assertEqual(m.find("mailflow_log_lines_total")[0][0], {})

    def test_alerts_name_the_broken_instance_only(self):
        rules = harness.shipped_rules(harness.tmpdir())
        prom = Prometheus([self.exporter.address], rule_files=rules, netns=self.net.a).start()
        try:
            def firing():
                alerts = prom.firing()
                return [a for a in alerts if a.get("postfix_instance")] and alerts
            alerts = wait_for(firing, 60, interval=1, what="alerts with postfix_instance")
            # A few more evaluations: nothing else may start firing.
            wait_for(lambda: len(prom.query("ALERTS")) >= len(alerts), 5, interval=1)
            alerts = prom.firing()
            named = {(a["alertname"], a.get("postfix_instance")) for a in alerts}
            self.assertIn(("DeferredMostlyConnectionRefused", BROKEN), named)
            self.assertEqual({i for _, i in named if i}, {BROKEN}, named)
            # The fleet view shows no failure state of the healthy instance.
            for s in prom.query("mailflow:instance_alert == 1"):
                self.assertNotEqual(s["metric"].get("postfix_instance"), HEALTHY, s)
        finally:
            prom.stop()


if __name__ == "__main__":
    unittest.main()
