"""The dns collector end to end: a real Prometheus scrapes two exporters
probing real DNS servers on 127.0.0.1 and evaluates dashboards/alerts/dns.yml
(with `for:` shortened). The broken one must raise exactly the six DNS
alerts, the healthy one none, and every query of the DNS dashboard row
(dashboards/grafana/rows/30-dns.json) must return data.

broken: resolv.conf names 192.0.2.1 (parsed, never queried:
probe_resolv_conf is off), a chroot copy naming another server, MX and RBL
lookups through a 1.2 s delay proxy, a silent resolver, a PTR that does not
forward-confirm.
"""
import os
import shutil
import time
import unittest

import harness
from test_dns import (TOOLS, exporter_config, postfix_dir, start_tool, start_unbound,
                      wait_rounds, write)

RULES = os.path.join(harness.SOURCE_DIR, "dashboards", "alerts", "dns.yml")
ALL_DNS_ALERTS = {"MXLookupSlow", "DNSLookupFailures", "ChrootResolvConfDiffers",
                  "NoLocalDNSCache", "RBLLookupSlow", "ReverseDNSMismatch"}



class DnsPrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        unbound = start_unbound()
        _, slow = start_tool([os.path.join(TOOLS, "udp_delay_proxy.py"), "--upstream",
                              "127.0.0.1:%d" % unbound, "--delay-ms", "1200"])
        _, silent = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--silent"])
        d = harness.tmpdir("mailflow-dns-e2e-")
        rbl = "smtpd_client_restrictions = reject_rbl_client zen.example.test\n"

        good_rc = os.path.join(d, "good.conf")
        write(good_rc, "nameserver 127.0.0.1:%d\n" % unbound)
        good_pf, _ = postfix_dir(main_cf_extra=rbl)
        good = exporter_config(good_pf, """
resolv_conf: %s
chroot: "no"
domains: [example.test]
rbl_checks: true
reverse_dns_addresses: [192.0.2.10]
interval: 2s
round_timeout: 1500ms
query_timeout: 1s
""" % good_rc)

        bad_rc = os.path.join(d, "bad.conf")
        write(bad_rc, "nameserver 192.0.2.1\n")
        bad_pf, spool = postfix_dir(main_cf_extra=rbl, chroot="y")
        write(os.path.join(spool, "etc", "resolv.conf"), "nameserver 192.0.2.2\n")
        bad = exporter_config(bad_pf, """
resolv_conf: %s
probe_resolv_conf: false
resolvers: ["127.0.0.1:%d", "127.0.0.1:%d"]
domains: [example.test]
rbl_checks: true
reverse_dns_addresses: [192.0.2.11]
myhostname: mail.example.test
interval: 3s
round_timeout: 2500ms
query_timeout: 2s
""" % (bad_rc, slow, silent))
        cls.slow, cls.silent = slow, silent
        cls.good = harness.Exporter(config=good).start()
        cls.bad = harness.Exporter(config=bad).start()
        wait_rounds(cls.good, 1)
        wait_rounds(cls.bad, 1)
        rules_dir = harness.tmpdir("mailflow-dns-rules-")
        shutil.copy(RULES, rules_dir)
        rules = harness.fast_rules(harness.tmpdir(), rules_dir=rules_dir)
        cls.prom = harness.Prometheus([cls.good.address, cls.bad.address], rules).start()

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        cls.good.stop()
        cls.bad.stop()

    def alertnames(self, exp):
        return {a["alertname"] for a in self.prom.firing()
                if a.get("instance") == exp.address}

    def test_alerts(self):
        harness.wait_for(lambda: ALL_DNS_ALERTS <= self.alertnames(self.bad), 90,
                         interval=0.5, what="DNS alerts (firing: %s)" % self.prom.firing())
        time.sleep(3)
        self.assertEqual(self.alertnames(self.bad), ALL_DNS_ALERTS)
        self.assertEqual(self.alertnames(self.good), set())
        firing = [a for a in self.prom.firing() if a.get("instance") == self.bad.address]
        by_name = {}
        for a in firing:
            by_name.setdefault(a["alertname"], []).append(a)
        # The 1.2 s proxy, and the silent one (timeouts count at 2 s).
        self.assertEqual({a["resolver"] for a in by_name["MXLookupSlow"]},
                         {"127.0.0.1:%d" % self.slow, "127.0.0.1:%d" % self.silent})
        self.assertEqual({a["result"] for a in by_name["DNSLookupFailures"]}, {"timeout"})
        self.assertEqual({a["zone"] for a in by_name["RBLLookupSlow"]}, {"zen.example.test"})
        self.assertEqual({a["address"] for a in by_name["ReverseDNSMismatch"]}, {"192.0.2.11"})

    def test_dashboard_row_queries_return_data(self):
        self.assertEqual(self.prom.row_panels_without_data("30-dns.json", targets=2, settle=4),
                         [], "panels without data")


if __name__ == "__main__":
    unittest.main()
