"""The smtp collector end to end: a real Prometheus (inside namespace A, next
to the exporter) scrapes an exporter whose peers in namespace B produce a
provider-style port-25 block, a failing outbound target, an unreachable
relayhost (from main.cf), a self-probe of a service bound to loopback only,
and a certificate that expires in 3 days. dashboards/alerts/smtp.yml (with
`for:` shortened) must raise exactly its five alerts, and every query of
dashboards/grafana/rows/35-smtp.json must return data.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.parse

import harness
from harness import on_exit, run, wait_for
from netns import NetnsPair
from test_smtp import PEER, NsExporter

RULES = os.path.join(harness.SOURCE_DIR, "dashboards", "alerts", "smtp.yml")
ALL_SMTP_ALERTS = {"OutboundPort25Blocked", "OutboundSMTPFailing", "RelayhostUnreachable",
                   "InboundSelfProbeFailing", "SMTPCertificateExpiringSoon"}


class NsPrometheus(harness.Prometheus):
    """harness.Prometheus started inside a namespace, queried with curl there."""

    def __init__(self, ns, *args, **kw):
        super().__init__(*args, **kw)
        self.ns = ns

    def _get(self, path):
        out = run(["ip", "netns", "exec", self.ns, "curl", "-sS", "-m", "20",
                   "-w", "\n%{http_code}", self.url(path)], check=False)
        body, _, code = out.rpartition("\n")
        return int(code or 0), body

    def start(self):
        self._log = log = open(os.path.join(self.dir, "prometheus.log"), "w")
        on_exit(log.close)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "prometheus",
             "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--rules.alert.resend-delay=1s", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        on_exit(self.stop)
        wait_for(lambda: self._get("/-/ready")[0] == 200, 60, interval=0.3,
                 what="prometheus ready")
        return self

    def api(self, path, **params):
        code, body = self._get(path + "?" + urllib.parse.urlencode(params))
        data = json.loads(body)
        if data.get("status") != "success":
            raise AssertionError("%s %r: %s" % (path, params, data))
        return data["data"]


class SmtpPrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = net = NetnsPair("smp")
        A, B, B2 = net.addr_a, net.addr_b, net.addr_b2
        d = harness.tmpdir("mailflow-smtp-e2e-")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        run(["openssl", "req", "-x509", "-days", "3", "-newkey", "rsa:2048", "-nodes",
             "-subj", "/CN=peer.test", "-keyout", key, "-out", cert])
        net.exec_b(["nft", "-f", "-"], input="""
table inet mfsmtp {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 2502 drop
    ip daddr %s tcp dport 25 drop
  }
}
""" % B2)
        for ns, addr, port in ((net.b, B2, 25), (net.b, B2, 587), (net.a, "127.0.0.1", 25)):
            net.popen(ns, ["smtp-sink", "-u", "nobody", "%s:%d" % (addr, port), "100"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for mode, port in (("greet554", 2505), ("starttls", 2506)):
            net.popen(net.b, [sys.executable, PEER, mode, B, str(port), cert, key],
                      stdout=subprocess.DEVNULL)
        wait_for(lambda: all(s in net.exec_b(["ss", "-Htln"]) for s in
                             ("%s:25" % B2, "%s:587" % B2, "%s:2505" % B, "%s:2506" % B)),
                 20, what="peers")
        pf = os.path.join(d, "postfix")
        os.makedirs(pf)
        with open(os.path.join(pf, "main.cf"), "w") as f:
            f.write("relayhost = [%s]:2502\n" % B)
        open(os.path.join(pf, "master.cf"), "w").close()
        cls.exporter = NsExporter(net.a, config="""
paths:
  postfix_config_directory: %s
collectors:
  smtp:
    interval: 2s
    timeout: 1s
    connect_timeout: 1s
    targets: ["%s:25", "%s:2505", "%s:2506"]
    relayhost: auto
    port25_control_ports: [587]
    self_probe_addresses: [%s]
    self_probe_ports: [25]
""" % (pf, B2, B, B, A)).start()
        cls.exporter.wait_round()
        rules_dir = harness.tmpdir("mailflow-smtp-rules-")
        shutil.copy(RULES, rules_dir)
        rules = harness.fast_rules(harness.tmpdir(), rules_dir=rules_dir)
        cls.prom = NsPrometheus(net.a, [cls.exporter.address], rules).start()

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        cls.exporter.stop()

    def test_alerts(self):
        names = lambda: {a["alertname"] for a in self.prom.firing()}
        wait_for(lambda: ALL_SMTP_ALERTS <= names(), 90, interval=0.5,
                 what="smtp alerts (firing: %s)" % self.prom.firing())
        firing = self.prom.firing()
        self.assertEqual(names(), ALL_SMTP_ALERTS)
        by = {}
        for a in firing:
            by.setdefault(a["alertname"], []).append(a)
        B, B2, A = self.net.addr_b, self.net.addr_b2, self.net.addr_a
        self.assertEqual({(a["target"], a["port"], a["result"]) for a in by["OutboundSMTPFailing"]},
                         {(B2, "25", "timeout"), (B, "2505", "banner_error")})
        self.assertEqual({(a["target"], a["port"], a["result"]) for a in by["RelayhostUnreachable"]},
                         {(B, "2502", "timeout")})
        self.assertEqual({(a["target"], a["port"], a["result"]) for a in by["InboundSelfProbeFailing"]},
                         {(A, "25", "refused")})
        self.assertEqual({(a["target"], a["port"]) for a in by["SMTPCertificateExpiringSoon"]},
                         {(B, "2506")})

    def test_dashboard_row_queries_return_data(self):
        # settle: a few samples and two probe rounds for rate()
        self.assertEqual(self.prom.row_panels_without_data("35-smtp.json", settle=5),
                         [], "panels without data")


if __name__ == "__main__":
    unittest.main()
