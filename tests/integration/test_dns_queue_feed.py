"""The dns prober follows the deferred queue (domains_from_queue).

A private Postfix instance defers mail (defer_transports = smtp: nothing is
sent anywhere) to domains of unbound's test zone. The queue collector
publishes the deferred mail's top destination domains on each scrape; the
dns prober looks up their MX from its next round on, under their own
`domain` label, and drops the series when the queue no longer holds them.
Every resolver is unbound on 127.0.0.1.
"""
import os
import subprocess
import unittest

import harness
from harness import Exporter, PostfixInstance, run, wait_for
from test_dns import start_unbound, write


def deferred_files(spool):
    return sum(len(f) for _, _, f in os.walk(os.path.join(spool, "deferred")))


class DnsQueueFeedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unbound = start_unbound()
        cls.pf = PostfixInstance()
        cls.pf.set(defer_transports="smtp")
        cls.pf.start()
        # Recipients per domain decide the queue's order: example.test is
        # configured anyway, nullmx and dead.test fill domains_from_queue: 2,
        # nomx.example.test is beyond the cap.
        plan = {"example.test": 4, "nullmx.example.test": 3, "dead.test": 2,
                "nomx.example.test": 1}
        n = 0
        for domain, count in plan.items():
            for i in range(count):
                subprocess.run(["sendmail", "-C", cls.pf.etc, "-f", "s@mailflow-ci.test",
                                "u%d@%s" % (i, domain)],
                               input="Subject: feed\n\nhello\n", text=True, check=True,
                               timeout=30)
                n += 1
        wait_for(lambda: deferred_files(cls.pf.spool) == n, 60, interval=0.3,
                 what="%d deferred messages" % n)
        cls.dir = harness.tmpdir("mailflow-dns-feed-")
        cls.resolv_conf = os.path.join(cls.dir, "resolv.conf")
        write(cls.resolv_conf, "nameserver 127.0.0.1:%d\n" % cls.unbound)

    def config(self, from_queue=2):
        return """paths:
  postfix_config_directory: %s
collectors:
  dns:
    resolv_conf: %s
    domains: [example.test]
    domains_from_queue: %d
    lookup_aaaa: false
    interval: 1s
    round_timeout: 900ms
    query_timeout: 800ms
""" % (self.pf.etc, self.resolv_conf, from_queue)

    @staticmethod
    def mx_labels(m):
        return {l["domain"] for l, _ in m.find("mailflow_dns_mx_lookups_total")}

    def test_follows_the_queue(self):
        args = ["--collector.disable-defaults", "--collector.queue", "--collector.dns"]
        with Exporter(args=args, config=self.config()) as exp:
            # Each scrape publishes the queue's domains; a later round probes them.
            m = wait_for(lambda: (lambda m: m if "dead.test" in self.mx_labels(m) and
                                  m.get("mailflow_dns_mx_null",
                                        domain="nullmx.example.test") is not None
                                  else None)(exp.scrape()),
                         30, interval=0.3, what="queue domains probed")
            self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 1)
            self.assertEqual(m.get("mailflow_queue_deferred_domain_recipients",
                                   domain="nullmx.example.test"), 3)
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="domain"), 1)
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="queue_domain"), 2)
            self.assertEqual(self.mx_labels(m),
                             {"example.test", "nullmx.example.test", "dead.test"})
            self.assertEqual(m.get("mailflow_dns_mx_null", domain="nullmx.example.test"), 1)
            self.assertEqual(m.get("mailflow_dns_mx_records", domain="example.test"), 2)
            # The diagnosis: mail waits for dead.test, whose MX lookup fails.
            self.assertGreater(m.get("mailflow_dns_mx_lookups_total", domain="dead.test",
                                     result="servfail"), 0)
            self.assertEqual(m.get("mailflow_dns_mx_lookups_total", domain="dead.test",
                                   result="ok"), 0)
            self.assertIsNone(m.get("mailflow_dns_mx_lookups_total",
                                    domain="nomx.example.test", result="ok"))

            # The queue empties: the queue domains' series go, example.test stays.
            run(["postsuper", "-c", self.pf.etc, "-d", "ALL", "deferred"])
            m = wait_for(lambda: (lambda m: m if self.mx_labels(m) == {"example.test"}
                                  else None)(exp.scrape()),
                         30, interval=0.3, what="queue domains dropped")
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="queue_domain"), 0)
            self.assertIsNone(m.get("mailflow_dns_mx_null", domain="nullmx.example.test"))
            self.assertEqual({l["domain"] for l, _ in
                              m.find("mailflow_dns_mx_lookup_duration_seconds_count")},
                             {"example.test"})
            self.assertEqual(m.get("mailflow_collector_success", collector="dns"), 1)

    def test_without_the_queue_collector_it_says_so(self):
        args = ["--collector.disable-defaults", "--collector.dns"]
        with Exporter(args=args, config=self.config()) as exp:
            wait_for(lambda: "no queue scan has published" in exp.log(), 30,
                     interval=0.3, what="the warning about domains_from_queue")
            m = exp.scrape()
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="queue_domain"), 0)
            self.assertEqual(self.mx_labels(m), {"example.test"})


if __name__ == "__main__":
    unittest.main()
