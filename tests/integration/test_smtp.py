"""smtp collector against real peers in network namespaces.

The exporter runs inside namespace A; peers (Postfix's smtp-sink and
tools/smtp_peer.py) run in namespace B behind nftables rules that produce
every result class. All traffic stays inside the two namespaces.
"""
import os
import subprocess
import sys
import time
import unittest

import harness
from harness import Diagnosis, Metrics, run, tmpdir, wait_for
from netns import NetnsPair

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools")
PEER = os.path.join(TOOLS, "smtp_peer.py")


class NsExporter(harness.Exporter):
    """harness.Exporter with only the smtp collector, inside a namespace."""

    def __init__(self, ns, **kw):
        super().__init__(netns=ns, args=["--collector.disable-defaults",
                                         "--collector.smtp"], **kw)
        self.ns = ns

    def get(self, path, headers=()):
        code, body = super().get(path, headers=dict(h.split(": ", 1) for h in headers))
        return code, body.decode()

    def scrape(self, timeout_header=None):
        code, body = self.get("/metrics")
        if code != 200:
            raise AssertionError("scrape returned %d: %s" % (code, body[:300]))
        return Metrics(body)

    def wait_round(self, timeout=30):
        return wait_for(lambda: (lambda m: m if m.has(
            "mailflow_smtp_last_run_timestamp_seconds") else None)(self.scrape()),
            timeout, interval=0.25, what="first smtp probe round")


def last_result(m, direction, target, port):
    found = [l["result"] for l, v in m.find("mailflow_smtp_probe_last_result",
                                            direction=direction, target=target,
                                            port=port) if v == 1]
    return found[0] if len(found) == 1 else found


class SmtpCollectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = net = NetnsPair("smtp")
        A, B, B2 = net.addr_a, net.addr_b, net.addr_b2
        cls.dir = d = tmpdir("mailflow-smtp-")
        # a certificate that expires in 3 days
        cls.cert, cls.key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        run(["openssl", "req", "-x509", "-days", "3", "-newkey", "rsa:2048", "-nodes",
             "-subj", "/CN=peer.test", "-keyout", cls.key, "-out", cls.cert])
        net.exec_b(["nft", "-f", "-"], input="""
table inet mfsmtp {
  counter probe_denied { }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 2501 reject with tcp reset
    tcp dport 2502 drop
    tcp dport 2503 reject with icmpx type host-unreachable
    ip daddr %s tcp dport 25 drop
    tcp dport 2525 counter name probe_denied accept
  }
}
""" % B2)
        sinks = [(B, 25), (B, 2501), (B, 2502), (B, 2503), (B2, 25), (B2, 587),
                 (B, 2525)]
        for addr, port in sinks:
            net.popen(net.b, ["smtp-sink", "-u", "nobody", "%s:%d" % (addr, port), "100"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for mode, port in (("silent", 2504), ("greet554", 2505), ("starttls", 2506),
                           ("badtls", 2507), ("smtps", 2508)):
            net.popen(net.b, [sys.executable, PEER, mode, B, str(port), cls.cert, cls.key],
                      stdout=subprocess.DEVNULL)
        # the host under test (namespace A): smtpd bound to loopback only on
        # 25 (the wrong interface), correctly on 587
        for addr, port in (("127.0.0.1", 25), (A, 587)):
            net.popen(net.a, ["smtp-sink", "-u", "nobody", "%s:%d" % (addr, port), "100"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening():
            b = net.exec_b(["ss", "-Htln"])
            a = net.exec_a(["ss", "-Htln"])
            want_b = ["%s:%d" % s for s in sinks] + ["%s:%d" % (B, p) for p in (2504, 2505, 2506, 2507, 2508)]
            return all(w in b for w in want_b) and "%s:587" % A in a and "127.0.0.1:25" in a
        wait_for(listening, 20, what="peers to listen")
        # DNS for MX targets: dnsmasq inside A on 127.0.0.1:5353, MX of
        # example.test -> mx1.example.test -> B2 (whose port 25 is dropped)
        net.popen(net.a, ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                          "--conf-file=/dev/null", "--port=5353", "--listen-address=127.0.0.1",
                          "--bind-interfaces", "--user=root", "--pid-file=",
                          "--mx-host=example.test,mx1.example.test,10",
                          "--host-record=mx1.example.test,%s" % B2,
                          "--host-record=relay.example.test,%s" % B],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: "127.0.0.1:5353" in net.exec_a(["ss", "-Hulpn"]), 20, what="dnsmasq")
        # main.cf of "this host": relayhost behind a drop rule
        cls.pfdir = os.path.join(d, "postfix")
        os.makedirs(cls.pfdir)
        with open(os.path.join(cls.pfdir, "main.cf"), "w") as f:
            f.write("relayhost = [relay.example.test]:2502\n")  # resolved via resolvers
        open(os.path.join(cls.pfdir, "master.cf"), "w").close()
        targets = ", ".join('"%s:%d"' % (B, p) for p in (25, 2501, 2502, 2503, 2504, 2505, 2506, 2507, 2508))
        cls.exporter = NsExporter(net.a, config="""
paths:
  postfix_config_directory: %s
collectors:
  smtp:
    interval: 1h
    timeout: 2s
    connect_timeout: 2s
    ehlo_name: probe.mailflow-ci.test
    targets: [%s]
    tls_implicit_ports: [465, 2508]
    relayhost: auto
    resolvers: ["127.0.0.1:5353"]
    port25_control_ports: [587]
    self_probe_addresses: [%s]
    self_probe_ports: [25, 587]
    probe:
      allowed_networks: [%s/32]
      allowed_ports: [25, 2502, 2505]
      modules:
        slow: {timeout: 30s, connect_timeout: 30s}
        tcp: {connect_only: true}
""" % (cls.pfdir, targets, A, B)).start()
        cls.blocked = NsExporter(net.a, config="""
collectors:
  smtp:
    interval: 1h
    timeout: 2s
    connect_timeout: 2s
    domains: [example.test]
    resolvers: ["127.0.0.1:5353"]
    port25_control_ports: [587]
""").start()
        cls.m = cls.exporter.wait_round()
        cls.mb = cls.blocked.wait_round()

    def test_every_result_class(self):
        B = self.net.addr_b
        expected = {25: "ok", 2501: "refused", 2502: "timeout", 2503: "unreachable",
                    2504: "banner_timeout", 2505: "banner_error", 2506: "ok",
                    2507: "tls_error", 2508: "ok"}
        got = {p: last_result(self.m, "outbound", B, p) for p in expected}
        self.assertEqual(got, expected, self.exporter.log())
        for p, r in expected.items():
            self.assertEqual(self.m.get("mailflow_smtp_probes_total", direction="outbound",
                                        target=B, port=p, result=r), 1.0)
            self.assertEqual(self.m.get("mailflow_smtp_probe_success", direction="outbound",
                                        target=B, port=p), 1.0 if r == "ok" else 0.0)

    def test_phases_and_starttls(self):
        m, B = self.m, self.net.addr_b
        count = lambda port, phase: m.get("mailflow_smtp_probe_duration_seconds_count",
                                          direction="outbound", target=B, port=port,
                                          phase=phase)
        self.assertEqual(count(2506, "connect"), 1)
        self.assertEqual(count(2506, "banner"), 1)
        self.assertEqual(count(2506, "ehlo"), 1)
        self.assertEqual(count(2506, "starttls"), 1)
        self.assertEqual(count(2502, "connect"), 0)   # never connected
        self.assertEqual(count(2504, "connect"), 1)   # connected, no banner
        self.assertEqual(count(2504, "banner"), 0)
        self.assertEqual(m.get("mailflow_smtp_starttls_offered", direction="outbound",
                               target=B, port=2506), 1)
        self.assertEqual(m.get("mailflow_smtp_starttls_offered", direction="outbound",
                               target=B, port=25), 0)  # smtp-sink offers none

    def test_certificate_expiry(self):
        for port in (2506, 2508):  # STARTTLS, implicit TLS
            v = self.m.get("mailflow_smtp_tls_certificate_expiry_timestamp_seconds",
                           direction="outbound", target=self.net.addr_b, port=port)
            self.assertIsNotNone(v, port)
            days = (v - time.time()) / 86400
            self.assertTrue(2 < days <= 3.01, days)
        self.assertEqual(self.m.get("mailflow_smtp_probe_duration_seconds_count",
                                    direction="outbound", target=self.net.addr_b,
                                    port=2508, phase="starttls"), 1)

    def test_relayhost_from_main_cf(self):
        self.assertEqual(last_result(self.m, "relayhost", self.net.addr_b, 2502), "timeout")

    def test_inbound_self_probe_catches_wrong_interface(self):
        A = self.net.addr_a
        self.assertEqual(last_result(self.m, "inbound", A, 25), "refused")
        self.assertEqual(last_result(self.m, "inbound", A, 587), "ok")
        self.assertEqual(self.m.get("mailflow_smtp_targets", direction="inbound"), 2)
        # The board of the running exporter (its last round): the self-probe
        # of port 25 fails the listening step.
        board = self.exporter.board()
        f = board.finding("listening", "%s:25" % A)
        self.assertEqual((f["status"], f["runbook"]["name"]),
                         ("fail", "InboundSelfProbeFailing"))
        self.assertEqual(board.finding("listening", "%s:587" % A)["status"], "ok")

    def test_port25_not_blocked_when_25_connects(self):
        self.assertEqual(self.m.get("mailflow_smtp_outbound_port25_blocked"), 0)

    def test_port25_block_detected_on_mx_targets(self):
        B2 = self.net.addr_b2
        self.assertEqual(last_result(self.mb, "outbound", B2, 25), "timeout")
        self.assertEqual(last_result(self.mb, "control", B2, 587), "ok")
        self.assertEqual(self.mb.get("mailflow_smtp_outbound_port25_blocked"), 1)
        # diagnose (its own probe round, MX lookup included) names the block.
        d = self.blocked.diagnose()
        self.assertEqual(d.problems(), {"outbound": "fail"}, d)
        self.assertEqual(d.exit_code, 2)
        f = d.findings("outbound", status="fail")
        self.assertEqual(len(f), 1, d)
        f = f[0]
        self.assertIn("blocks outbound SMTP", f["summary"])
        ev = Diagnosis.evidence(f)
        self.assertTrue(any(e.startswith("%s:25: timeout" % B2) and
                            e.endswith("[smtp probe, outbound]") for e in ev), ev)
        self.assertIn("%s:587: ok [smtp probe, control]" % B2, ev)
        self.assertIn("relayhost = [smtp.provider.example]:587", f["fix"])
        self.assertEqual(f["runbook"]["name"], "OutboundPort25Blocked")

    def test_probe_allowed(self):
        code, body = self.exporter.get("/probe?target=%s:25" % self.net.addr_b)
        self.assertEqual(code, 200, body)
        m = Metrics(body)
        self.assertEqual(m.get("probe_success"), 1)
        self.assertEqual(m.get("probe_smtp_result", result="ok"), 1)
        self.assertEqual(m.get("probe_smtp_greeting_code"), 220)
        code, body = self.exporter.get("/probe?target=%s:2505&module=smtp" % self.net.addr_b)
        m = Metrics(body)
        self.assertEqual(m.get("probe_success"), 0)
        self.assertEqual(m.get("probe_smtp_result", result="banner_error"), 1)
        self.assertEqual(m.get("probe_smtp_greeting_code"), 554)

    def test_probe_deadline_from_scrape_timeout_header(self):
        code, body = self.exporter.get(
            "/probe?target=%s:2502&module=slow" % self.net.addr_b,
            headers=["X-Prometheus-Scrape-Timeout-Seconds: 2"])
        self.assertEqual(code, 200, body)
        m = Metrics(body)
        self.assertEqual(m.get("probe_smtp_result", result="timeout"), 1)
        self.assertLess(m.get("probe_duration_seconds"), 10)  # module says 30s

    def test_probe_denied_sends_nothing(self):
        B, B2 = self.net.addr_b, self.net.addr_b2
        code, body = self.exporter.get("/probe?target=%s:2525" % B)
        self.assertEqual(code, 403, body)
        code, body = self.exporter.get("/probe?target=%s:25" % B2)
        self.assertEqual(code, 403, body)
        counter = self.net.exec_b(["nft", "list", "counter", "inet", "mfsmtp", "probe_denied"])
        self.assertIn("packets 0 ", counter)
        # the counter works: a direct connection from A is counted
        self.net.exec_a([sys.executable, "-c",
                         "import socket; socket.create_connection(('%s', 2525), 5).close()" % B])
        counter = self.net.exec_b(["nft", "list", "counter", "inet", "mfsmtp", "probe_denied"])
        self.assertNotIn("packets 0 ", counter)

    def test_probe_malformed(self):
        for q, want in (("target=mx.example.org:25",
                         'Invalid target "mx.example.org:25": host names are not resolved'),
                        ("target=bogus", 'Invalid target "bogus": missing port'),
                        ("target=%s:99999" % self.net.addr_b, "bad port"),
                        ("target=%s" % self.net.addr_b, "missing port"),
                        ("", "Target parameter is missing"),
                        ("target=%s:25&module=nosuch" % self.net.addr_b, 'Unknown module "nosuch"')):
            code, body = self.exporter.get("/probe?" + q)
            self.assertEqual(code, 400, q)
            self.assertIn(want, body)

    def test_self_probe_addresses_auto(self):
        """auto probes what Postfix is configured to listen on: the enabled
        smtpd services' ports (25 and 587, not the commented-out 465 nor
        the loopback-only 2525) on inet_interfaces' addresses of the
        inet_protocols families (not the global IPv6 address the host also
        has: inet_protocols = ipv4), never loopback."""
        dev = [l.split(":")[1].strip().split("@")[0]
               for l in self.net.exec_a(["ip", "-o", "link"]).splitlines()
               if ": lo:" not in l][0]
        self.net.exec_a(["ip", "addr", "add", "2001:db8:77::1/64", "dev", dev, "nodad"])
        pfdir = os.path.join(self.dir, "postfix-auto")
        os.makedirs(pfdir)
        with open(os.path.join(pfdir, "main.cf"), "w") as f:
            f.write("inet_interfaces = all\ninet_protocols = ipv4\n")
        with open(os.path.join(pfdir, "master.cf"), "w") as f:
            f.write("smtp inet n - n - - smtpd\n"
                    "submission inet n - n - - smtpd\n"
                    "#smtps inet n - n - - smtpd\n"
                    "127.0.0.1:2525 inet n - n - - smtpd\n")
        e = NsExporter(self.net.a, config="""
paths:
  postfix_config_directory: %s
collectors:
  smtp:
    interval: 1h
    timeout: 2s
    self_probe_addresses: auto
""" % pfdir).start()
        m = e.wait_round()
        A = self.net.addr_a
        inbound = {(l["target"], l["port"]) for l, v in m.find("mailflow_smtp_probe_success",
                                                               direction="inbound")}
        self.assertEqual(inbound, {(A, "25"), (A, "587")})
        self.assertEqual(last_result(m, "inbound", A, 25), "refused")  # 127.0.0.1 only
        self.assertEqual(last_result(m, "inbound", A, 587), "ok")
        e.stop()

    def test_default_config_probes_nothing(self):
        e = NsExporter(self.net.a, config="collectors:\n  smtp: {}\n").start()
        m = e.scrape()
        self.assertFalse(m.has("mailflow_smtp_last_run_timestamp_seconds"))
        self.assertFalse(m.has("mailflow_smtp_probes_total"))
        self.assertEqual(m.get("mailflow_smtp_targets", direction="outbound"), 0)
        code, _ = e.get("/probe?target=%s:25" % self.net.addr_b)
        self.assertEqual(code, 403)
        e.stop()


if __name__ == "__main__":
    unittest.main()
