"""No false page on real healthy installations.

Every layout of corpus_layouts.py (Debian 12 stock with submission and
submissions, a null client, a satellite with a smarthost, a postscreen MX with
RBL checks, an amavisd-new content filter, docker-mailserver, a submission-only
server, a quiet server, a journal-only server) runs as a real Postfix instance in its own network
namespace with the services it relies on and the exporter, all at once. One
Prometheus (job "mail": the rules must not depend on the job's name) in the
hub scrapes every 10 seconds and evaluates the shipped alert and recording
rules every second with every `for:` divided by 20 (5m -> 15s: an alert keeps
its tolerance of transients, at the test's speed), and the shipped
Alertmanager routing sends to a webhook, while mail flows through every host
but the quiet one.

The assertions: every host delivered mail the way it should (so the test
cannot pass by having nothing happen), the exporter sees each host as what it
is, and no critical or warning alert was ever pending or firing, and no
notification was sent.
"""
import os
import sys
import threading
import time
import unittest

import corpus
import harness
from corpus import CorpusHost, Hub, Star
from corpus_layouts import LAYOUTS as ALL_LAYOUTS
from harness import Alertmanager, Webhook, wait_for

EVALUATION_CYCLES = 30  # seconds of rule evaluations with mail flowing
# Time runs 20 times faster for the rules (`for: 5m` -> 15s); scrapes keep a
# production-like interval and timeout, since an exporter's work per scrape
# does not shrink (ten hosts on two busy cores would otherwise miss scrapes:
# a test artefact, not a page).
FOR_DIVISOR = 20
SCRAPE = "10s"
JOB = "mail"
# CORPUS_ONLY=name,name runs some layouts only (for debugging one).
LAYOUTS = [l for l in ALL_LAYOUTS
           if not os.environ.get("CORPUS_ONLY") or l.name in os.environ["CORPUS_ONLY"].split(",")]


class HealthyCorpusTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.t0 = time.time()
        cls.star = Star(len(LAYOUTS))
        cls.hub = Hub(cls.star)
        cls.hosts = {}
        for i, layout in enumerate(LAYOUTS):
            host = CorpusHost(cls.star, i, layout.name)
            layout.configure(host)
            host.private_instance()
            cls.hosts[layout.name] = (layout, host)
            harness.on_exit(host.stop)
        def start(host):
            layout = cls.hosts[host.name][0]
            layout.start(host)
            host.start_exporter(layout.exporter_log_yaml(host))
        harness.start_concurrently(start, [h for _, h in cls.hosts.values()], "corpus hosts")
        hub = cls.star.hub
        cls.webhook = Webhook(netns=hub)
        cls.am = Alertmanager(cls.webhook, netns=hub).start()
        rules = harness.scaled_rules(harness.tmpdir(), divisor=FOR_DIVISOR)
        cls.prom = corpus.prometheus([h.exporter.target for _, h in cls.hosts.values()],
                                     rules, JOB, cls.am.address, hub, scrape=SCRAPE)
        cls.stop_traffic = threading.Event()
        harness.on_exit(cls.stop_traffic.set)
        cls.traffic = [threading.Thread(target=cls._traffic, args=lh, daemon=True)
                       for lh in cls.hosts.values()]
        for t in cls.traffic:
            t.start()

    @classmethod
    def _traffic(cls, layout, host):
        for _ in range(100):  # bounded: the test stops it long before
            if cls.stop_traffic.is_set():
                return
            layout.traffic(host, cls.hub)
            cls.stop_traffic.wait(layout.traffic_every)

    @classmethod
    def tearDownClass(cls):
        cls.stop_traffic.set()
        for t in cls.traffic:
            t.join(60)
        cls.prom.stop()
        cls.am.stop()
        for _, host in cls.hosts.values():
            host.stop()

    def value(self, expr):
        r = self.prom.query(expr)
        return float(r[0]["value"][1]) if r else None

    def delivered(self, host, transport):
        return self.value('sum(mailflow_log_deliveries_total{instance="%s",status="sent",'
                          'transport="%s"})' % (host.exporter.target, transport)) or 0

    def dump_logs(self):
        for layout, host in self.hosts.values():
            with open(host.log_file, errors="replace") as f:
                lines = f.read().splitlines()
            print("--- %s: last lines of %s" % (layout.name, host.log_file), file=sys.stderr)
            print("\n".join(lines[-25:]), file=sys.stderr)

    def deliveries(self):
        return {l.name: {t: self.delivered(h, t) for t in l.delivers}
                for l, h in self.hosts.values()}

    def dump_scrapes(self):
        window = int(time.time() - self.t0) + 5
        for expr in ('count_over_time((up == 0)[%ds:1s])' % window,
                     'max_over_time(scrape_duration_seconds[%ds])' % window):
            for r in self.prom.query(expr):
                print(expr, r["metric"].get("instance"), r["value"][1], file=sys.stderr)

    def test_healthy_hosts_raise_nothing(self):
        try:
            self.check_healthy_hosts_raise_nothing()
        except (AssertionError, TimeoutError):
            self.dump_logs()
            self.dump_scrapes()
            raise

    def check_healthy_hosts_raise_nothing(self):
        # Mail flows everywhere it should before the clock starts.
        def all_delivered():
            return all(n > 0 for d in self.deliveries().values() for n in d.values())
        try:
            wait_for(all_delivered, 150, interval=1, what="deliveries")
        except TimeoutError:
            raise TimeoutError("deliveries on every host: %s" % self.deliveries())
        time.sleep(EVALUATION_CYCLES)
        window = int(time.time() - self.t0) + 5
        # Ever firing since the first scrape (ALERTS keeps a sample for every
        # evaluation in which an alert was active), or pending now (a
        # condition still true: it would fire given its `for:`).
        fired = self.prom.query('max_over_time(ALERTS{alertstate="firing",'
                                'severity=~"critical|warning"}[%ds])' % window)
        self.assertEqual([a["metric"] for a in fired], [], "alerts fired on healthy hosts")
        pending = self.prom.query('ALERTS{severity=~"critical|warning"}')
        self.assertEqual([a["metric"] for a in pending], [], "alerts pending at the end")
        self.assertEqual(self.webhook.notifications(), [], "notifications")
        self.assertEqual(self.hub.failures, [], "mail a healthy host refused")
        # Every host was scraped and every collector succeeded throughout.
        self.assertEqual(self.value('count(up{job="%s"} == 1)' % JOB), len(self.hosts))
        self.assertEqual(self.prom.query('min_over_time(mailflow_collector_success[%ds]) == 0'
                                         % window), [])
        # The rules evaluated: the fleet view counts every host, all healthy.
        self.assertEqual(self.value("mailflow:instances:count"), len(self.hosts))
        self.assertEqual(self.value("mailflow:instances_healthy:count"), len(self.hosts))

    def test_exporter_sees_each_host_as_it_is(self):
        """Each host's role, liveness, relay verdicts and log source, as the
        exporter reports them, are what the layout is."""
        def metrics():
            return {l.name: h.exporter.scrape() for l, h in self.hosts.values()}
        wait_for(lambda: all(m.get("mailflow_log_source_info", source="none") is None
                             for m in metrics().values()), 60, interval=1,
                 what="every log source found")
        for (layout, host), m in zip(self.hosts.values(), metrics().values()):
            with self.subTest(layout.name):
                roles = [l["role"] for l, v in m.find("mailflow_postfix_role") if v == 1]
                self.assertEqual(roles, [layout.role])
                self.assertEqual(m.get("mailflow_postfix_liveness", method="lock", state="up"), 1)
                verdicts = {(l["service"], l["verdict"])
                            for l, v in m.find("mailflow_postfix_relay_verdict") if v == 1}
                self.assertTrue(verdicts)
                self.assertEqual({v for _, v in verdicts}, {"refused"}, verdicts)
                source = [l["source"] for l, _ in m.find("mailflow_log_source_info")]
                self.assertEqual(source, ["journal" if layout.name == "debian12-journal-only"
                                          else "file"])
        # Debian's stock submission block is refused by its terminal reject.
        m = metrics()["debian12-internet-site"]
        self.assertEqual([l["reason"] for l, _ in m.find("mailflow_postfix_relay_reason",
                                                         service="submission")],
                         ["smtpd_recipient_restrictions: reject (item 2)"])

if __name__ == "__main__":
    unittest.main()
