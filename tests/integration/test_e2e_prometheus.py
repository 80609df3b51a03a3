"""End to end: real Postfix instances, the real exporter, a real Prometheus
evaluating the shipped alert rules (with `for:` shortened), and every panel
query of the shipped Grafana dashboard.

Three instances: a healthy one, one whose master is stopped, one with the
smtp (port 25) service commented out and a chrooted smtp client without its
jail files. Each broken instance must raise exactly its alerts; the healthy
one none.
"""
import json
import os
import time
import unittest

import harness
from harness import Exporter, PostfixInstance, Prometheus, wait_for

DASHBOARD = os.path.join(harness.SOURCE_DIR, "dashboards", "grafana", "mailflow.json")
ROWS = os.path.join(harness.SOURCE_DIR, "dashboards", "grafana", "rows")
# Which test proves each dashboard row's queries return data.
ROW_TESTS = {
    "00-flowing.json": "test_e2e_prometheus.py",
    "05-fleet.json": "test_e2e_prometheus.py",
    "10-inbound.json": "test_e2e_prometheus.py",
    "15-firewall.json": "test_firewall.py",  # metric presence per panel
    "20-queue.json": "test_queue.py",  # metric presence per panel
    "30-dns.json": "test_dns_prometheus.py",
    "35-smtp.json": "test_smtp_prometheus.py",
    "40-log.json": "test_log_prometheus.py",
}


def exporter_for(pf, smtp_ports=None):
    return Exporter(config=harness.exporter_config(pf, smtp_ports)).start()


def panel_exprs(dashboard):
    for panel in dashboard["panels"]:
        for t in panel.get("targets", []):
            yield panel["title"], t["expr"]




class EndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.healthy = PostfixInstance().start()
        cls.down = PostfixInstance()  # never started
        cls.broken = PostfixInstance()
        cls.broken.postconf("-F", "smtp/unix/chroot = y")
        cls.broken.start()
        cls.exporters = {
            "healthy": exporter_for(cls.healthy, [cls.healthy.smtp_port]),
            "down": exporter_for(cls.down, [cls.down.smtp_port]),
            # Default smtp_ports (25, 587, 465): the commented-out smtp
            # service of port 25 is in view.
            "broken": exporter_for(cls.broken),
        }
        cls.instance = {k: e.address for k, e in cls.exporters.items()}
        rules = harness.shipped_rules(harness.tmpdir())
        cls.prom = Prometheus(list(cls.instance.values()), rules).start()

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        for e in cls.exporters.values():
            e.stop()
        for pf in (cls.healthy, cls.broken):
            pf.stop()

    def alertnames(self, which):
        inst = self.instance[which]
        return {a["alertname"] for a in self.prom.firing() if a.get("instance") == inst}

    def test_alerts_name_the_breakage(self):
        expected = {
            # Never started: no log line and no queue movement either, so
            # the log is not "stalled".
            "down": {"PostfixDown"},
            "broken": {"PostfixSMTPServiceDisabled", "PostfixChrootFilesMissing"},
        }
        for which, names in expected.items():
            wait_for(lambda: names <= self.alertnames(which), 60, interval=0.5,
                     what="%s alerts %s (firing: %s)" % (which, names, self.prom.firing()))
        # A few more evaluation rounds for anything unexpected to show up.
        time.sleep(5)
        for which, names in expected.items():
            self.assertEqual(self.alertnames(which), names)
        self.assertEqual(self.alertnames("healthy"), set())
        chroot = [a for a in self.prom.firing() if a["alertname"] == "PostfixChrootFilesMissing"]
        self.assertIn("etc/resolv.conf", {a["file"] for a in chroot})
        self.assertEqual({a["severity"] for a in chroot}, {"warning"})

    def test_dashboard_queries_parse_and_return_data(self):
        """Every panel query of the shipped dashboard parses; the rows this
        setup exercises (is mail flowing, fleet, inbound) return data (the
        firing-alerts tables once the broken instances' alerts fire). The
        other rows need
        their collectors' peers (DNS servers, SMTP targets, a busy log) and
        are checked with data by the test named in ROW_TESTS."""
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        wait_for(lambda: self.prom.query('up{job="mailflow"} == 1'), 30,
                 what="first scrapes")
        wait_for(lambda: self.prom.query("mailflow:instance_alert"), 60, interval=0.5,
                 what="a firing alert in the fleet view")
        time.sleep(3)  # a few samples for rate()
        for title, expr in panel_exprs(dashboard):
            self.prom.query(harness.grafana_to_promql(expr))  # raises on parse errors
        empty = []
        for row in ("00-flowing.json", "05-fleet.json", "10-inbound.json"):
            with open(os.path.join(ROWS, row)) as f:
                empty += self.prom.panels_without_data(json.load(f))
        self.assertEqual(empty, [], "panels without data")

    def test_every_row_is_checked_with_data_somewhere(self):
        for row in sorted(os.listdir(ROWS)):
            test = ROW_TESTS.get(row)
            self.assertIsNotNone(test, "no test checks the data of dashboard row " + row)
            with open(os.path.join(os.path.dirname(__file__), test)) as f:
                self.assertIn(row, f.read(), "%s does not check %s" % (test, row))


if __name__ == "__main__":
    unittest.main()
