"""The firewall collector against the kernel: for each ruleset of a corpus,
load it into a test namespace, connect to listeners on the watched ports
from a peer namespace, and assert that the verdict the real exporter
(running inside the namespace) publishes equals what the kernel did:
connected -> accept, RST/ICMP error -> reject, silence -> drop, and
different outcomes from different sources/interfaces/families ->
conditional (with the expected reason).

Probe sources, all from namespace B into namespace A:
  v4    addr_b  -> addr_a        over veth 1
  v4b   addr_b2 -> addr_a        over veth 1 (a second source address)
  if2   10.N.1.2 -> 10.N.1.1     over veth 2 (another interface)
  v6    fd00:N::2 -> fd00:N::1   over veth 1
"""
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

import harness
from harness import Diagnosis, on_exit, run, wait_for
from netns import NetnsPair

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "tools", "firewall_probe.py")
PORTS = [25, 587, 465, 2525]
PROBE_TIMEOUT = 1.5
OUTCOME = {"connected": "accept", "refused": "reject", "timeout": "drop"}


def observed_verdict(outcomes):
    """outcomes: list of probe results -> accept/drop/reject/conditional."""
    kinds = set()
    for o in outcomes:
        if o in OUTCOME:
            kinds.add(OUTCOME[o])
        elif o.startswith("error:E") and o[6:] in (
                "EHOSTUNREACH", "ENETUNREACH", "EACCES", "EPERM", "ECONNREFUSED"):
            kinds.add("reject")
        else:
            raise AssertionError("unexpected probe outcome %r" % o)
    return kinds.pop() if len(kinds) == 1 else "conditional"


# --- the corpus -------------------------------------------------------------
# kind nft: nft -f text; iptables: list of argv run inside A. Placeholders:
# {IF1} {IF2} veth names in A, {A4} {B4} {B4b} addresses, {NET} the /24.
# expect: port -> verdict (what the kernel is known to do; the test checks
# the kernel first, then the exporter), reasons: port -> conditional reason.
CORPUS = [
    dict(name="empty", nft="", expect={25: "accept", 587: "accept", 465: "accept", 2525: "accept"}),
    dict(name="accept_policy", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept; tcp dport 25 accept;
}
}""",
         expect={25: "accept", 587: "accept", 465: "accept", 2525: "accept"}),
    dict(name="drop_policy", nft="""
table inet t { chain input { type filter hook input priority 0; policy drop;
  ct state established,related accept
  iif lo accept
  tcp dport 25 accept
}
}""",
         expect={25: "accept", 587: "drop", 465: "drop", 2525: "drop"}),
    dict(name="reject_tcp_reset", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  tcp dport 25 reject with tcp reset
  tcp dport 587 counter reject
}
}""",
         expect={25: "reject", 587: "reject", 465: "accept", 2525: "accept"}),
    dict(name="icmp_reject_variants", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  tcp dport 587 reject with icmpx type admin-prohibited
  tcp dport 465 reject with icmpx type host-unreachable
  tcp dport 2525 reject with icmp type net-unreachable
}
}""",
         expect={25: "accept", 587: "reject", 465: "reject", 2525: "conditional"},
         reasons={2525: "address_family"}),
    dict(name="jump_goto_return", nft="""
table inet t {
  chain smtp { tcp dport 25 accept; tcp dport 587 return; drop; }
  chain tail { tcp dport 2525 reject with tcp reset; }
  chain input { type filter hook input priority 0; policy accept;
    tcp dport { 25, 587 } jump smtp
    tcp dport 587 drop
    goto tail
}
}""",
         expect={25: "accept", 587: "drop", 465: "accept", 2525: "reject"}),
    dict(name="named_set", nft="""
table inet t {
  set smtp_ports { type inet_service; elements = { 25, 465 } }
  chain input { type filter hook input priority 0; policy drop;
    iifname "lo" accept
    tcp dport @smtp_ports accept
}
}""",
         expect={25: "accept", 587: "drop", 465: "accept", 2525: "drop"}),
    dict(name="anonymous_set_ranges", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  tcp dport { 400-500, 2500-2600 } reject with tcp reset
  tcp dport 580-590 drop
}
}""",
         expect={25: "accept", 587: "drop", 465: "reject", 2525: "reject"}),
    dict(name="ct_state_iif_lo", nft="""
table inet t { chain input { type filter hook input priority 0; policy drop;
  ct state established,related accept
  iif lo accept
  ct state invalid tcp dport 25 accept
  ct state new tcp dport 587 accept
  ct state { new, untracked } tcp dport 465 accept
}
}""",
         expect={25: "drop", 587: "accept", 465: "accept", 2525: "drop"}),
    dict(name="saddr_limited", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  tcp dport 25 ip saddr {B4b} accept
  tcp dport 25 drop
  ip saddr { {B4}, 10.9.9.0/24 } tcp dport 587 reject with tcp reset
}
}""",
         expect={25: "conditional", 587: "conditional", 465: "accept", 2525: "accept"},
         reasons={25: "source_address", 587: "source_address"}),
    dict(name="iifname_limited", nft="""
table inet t { chain input { type filter hook input priority 0; policy drop;
  iifname "{IF1}" tcp dport 587 accept
  iif "lo" accept
  tcp dport 25 accept
}
}""",
         expect={25: "accept", 587: "conditional", 465: "drop", 2525: "drop"},
         reasons={587: "interface"}),
    dict(name="two_base_chains", nft="""
table inet early { chain in1 { type filter hook input priority -10; policy accept;
  tcp dport 25 accept
}
}
table inet late { chain in2 { type filter hook input priority 10; policy accept;
  tcp dport { 25, 587 } drop
}
}
table inet first { chain in0 { type filter hook input priority -20; policy accept;
  tcp dport 465 reject with tcp reset
}
}""",
         expect={25: "drop", 587: "drop", 465: "reject", 2525: "accept"}),
    dict(name="ip_and_inet_tables", nft="""
table ip f { chain input { type filter hook input priority 0; policy accept; tcp dport 25 drop;
}
}
table inet g { chain input { type filter hook input priority 0; policy accept;
  tcp dport 587 reject with tcp reset
}
}
table ip6 h { chain input { type filter hook input priority 0; policy accept; tcp dport 465 drop;
}
}""",
         expect={25: "conditional", 587: "reject", 465: "conditional", 2525: "accept"},
         reasons={25: "address_family", 465: "address_family"}),
    dict(name="dport_vmap", nft="""
table inet t {
  chain rej { reject with tcp reset; }
  chain input { type filter hook input priority 0; policy accept;
    tcp dport vmap { 25 : accept, 587 : drop, 465 : jump rej }
}
}""",
         expect={25: "accept", 587: "drop", 465: "reject", 2525: "accept"}),
    dict(name="iifname_vmap_zones", nft="""
table inet t {
  chain z1 { tcp dport 25 accept; drop; }
  chain z2 { tcp dport 25 drop; }
  chain input { type filter hook input priority 0; policy accept;
    iifname vmap { "{IF1}" : jump z1, "{IF2}" : jump z2 }
}
}""",
         expect={25: "conditional", 587: "conditional", 465: "conditional", 2525: "conditional"},
         reasons={25: "interface", 587: "interface", 465: "interface", 2525: "interface"}),
    dict(name="rate_limit", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  tcp dport 2525 limit rate 1/minute burst 1 packets accept
  tcp dport 2525 drop
}
}""",
         expect={25: "accept", 587: "accept", 465: "accept", 2525: "conditional"},
         reasons={2525: "rate_limit"}),
    dict(name="prerouting_raw_drop", nft="""
table inet t { chain pre { type filter hook prerouting priority -300; policy accept;
  tcp dport 465 drop
}
}""",
         expect={25: "accept", 587: "accept", 465: "drop", 2525: "accept"}),
    dict(name="netdev_ingress_device", nft="""
table netdev n { chain ing { type filter hook ingress device "{IF2}" priority 0; policy accept;
  tcp dport 25 drop
}
}""",
         expect={25: "conditional", 587: "accept", 465: "accept", 2525: "accept"},
         reasons={25: "interface"}),
    dict(name="daddr_limited", nft="""
table inet t { chain input { type filter hook input priority 0; policy accept;
  ip daddr {A4} tcp dport 587 drop
}
}""",
         expect={25: "accept", 587: "conditional", 465: "accept", 2525: "accept"},
         reasons={587: "destination_address"}),
    dict(name="iptables_nft_xt", iptables=[
        ["iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-s", "{B4}",
         "-j", "REJECT", "--reject-with", "tcp-reset"],
        ["iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports",
         "587,465", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"],
        ["ip6tables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports",
         "587,465", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"]],
         expect={25: "conditional", 587: "drop", 465: "drop", 2525: "accept"},
         reasons={25: "source_address"}),
    dict(name="iptables_nft_policy_drop", iptables=[
        ["iptables-nft", "-P", "INPUT", "DROP"],
        ["iptables-nft", "-A", "INPUT", "-m", "conntrack", "--ctstate",
         "ESTABLISHED,RELATED", "-j", "ACCEPT"],
        ["iptables-nft", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
        ["iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "25",
         "-m", "comment", "--comment", "smtp in", "-j", "ACCEPT"],
        ["ip6tables-nft", "-P", "INPUT", "DROP"],
        ["ip6tables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-j", "ACCEPT"]],
         expect={25: "accept", 587: "drop", 465: "drop", 2525: "drop"}),
    dict(name="iptables_legacy", backend="iptables_legacy", iptables=[
        ["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-j", "DROP"],
        ["iptables-legacy", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports",
         "465,587", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"],
        ["ip6tables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-j", "DROP"],
        ["ip6tables-legacy", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports",
         "465,587", "-j", "REJECT"]],
         expect={25: "drop", 587: "reject", 465: "reject", 2525: "accept"}),
    dict(name="iptables_legacy_user_chain", backend="iptables_legacy", iptables=[
        ["iptables-legacy", "-N", "SMTP"],
        ["iptables-legacy", "-A", "SMTP", "-s", "{B4b}", "-j", "ACCEPT"],
        ["iptables-legacy", "-A", "SMTP", "-j", "DROP"],
        ["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "2525", "-j", "SMTP"],
        ["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--syn", "--dport", "587",
         "-m", "state", "--state", "NEW", "-j", "DROP"],
        ["ip6tables-legacy", "-P", "INPUT", "DROP"],
        ["ip6tables-legacy", "-A", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "25",
         "-j", "ACCEPT"]],
         expect={25: "accept", 587: "drop", 465: "conditional", 2525: "conditional"},
         reasons={465: "address_family", 2525: "source_address"}),
]


class NetnsExporter(harness.Exporter):
    """The real exporter with only the firewall collector, run inside
    namespace `ns` (after `prefix`, e.g. setpriv); scraped from inside."""

    def __init__(self, ns, prefix=(), **kw):
        args = ["--collector.disable-defaults", "--collector.firewall"] + list(kw.pop("args", []))
        super().__init__(netns=ns, prefix=prefix, args=args, **kw)
        self.ns = ns

    def scrape(self, timeout_header=None):
        text = run(["ip", "netns", "exec", self.ns, sys.executable, PROBE, "scrape",
                    "http://%s/metrics" % self.address])
        return harness.Metrics(text)


def verdict_of(metrics, family, backend, port):
    on = [l["verdict"] for l, v in metrics.find(family, backend=backend, port=port)
          if v == 1]
    if len(on) != 1:
        raise AssertionError("%s{backend=%s,port=%s}: %r\n%s" % (
            family, backend, port, on, metrics.text))
    return on[0]


def reason_of(metrics, family, backend, port):
    found = metrics.find(family, backend=backend, port=port)
    return found[0][0]["reason"] if found else None


class FirewallTest(unittest.TestCase):
    results = []  # (case, port, kernel, exporter)
    legacy_used = False

    @classmethod
    def setUpClass(cls):
        cls.pair = p = NetnsPair("fw")
        cls.net = p.addr_a.split(".")[1]
        links = run(["ip", "-n", p.a, "-o", "link", "show", "type", "veth"])
        cls.if1 = re.search(r"^\d+: ([^@:]+)", links).group(1)
        cls.if2 = ("w" + p.a[-12:])[:15]
        peer2 = ("w" + p.b[-12:])[:15]
        run(["ip", "link", "add", cls.if2, "netns", p.a, "type", "veth",
             "peer", "name", peer2, "netns", p.b])
        n = cls.net
        run(["ip", "-n", p.a, "addr", "add", "10.%s.1.1/24" % n, "dev", cls.if2])
        run(["ip", "-n", p.b, "addr", "add", "10.%s.1.2/24" % n, "dev", peer2])
        vb = re.search(r"^\d+: ([^@:]+)",
                       run(["ip", "-n", p.b, "-o", "link", "show", "type", "veth"])).group(1)
        run(["ip", "-n", p.a, "addr", "add", "fd00:%s::1/64" % n, "dev", cls.if1, "nodad"])
        run(["ip", "-n", p.b, "addr", "add", "fd00:%s::2/64" % n, "dev", vb, "nodad"])
        run(["ip", "-n", p.a, "link", "set", cls.if2, "up"])
        run(["ip", "-n", p.b, "link", "set", peer2, "up"])
        cls.subst = {"IF1": cls.if1, "IF2": cls.if2, "A4": p.addr_a, "B4": p.addr_b,
                     "B4b": p.addr_b2, "NET": n}
        cls.specs = {
            "v4": (p.addr_a, p.addr_b),
            "v4b": (p.addr_a, p.addr_b2),
            "if2": ("10.%s.1.1" % n, "10.%s.1.2" % n),
            "v6": ("fd00:%s::1" % n, "fd00:%s::2" % n),
        }
        # listeners on every watched port (dual stack) inside A
        cls.listener = p.popen(p.a, [sys.executable, PROBE, "listen"] + [str(x) for x in PORTS],
                               stdout=subprocess.PIPE, text=True)
        assert cls.listener.stdout.readline().strip() == "ready"
        cls.work = harness.tmpdir("mailflow-fw-")
        cls.ufw_dir = os.path.join(cls.work, "ufw")
        shutil.copytree("/etc/ufw", cls.ufw_dir, symlinks=True)
        cls.ufw_default = os.path.join(cls.work, "default-ufw")
        shutil.copy("/etc/default/ufw", cls.ufw_default)
        cls.fwd_dir = os.path.join(cls.work, "firewalld")
        shutil.copytree("/etc/firewalld", cls.fwd_dir, symlinks=True)
        os.makedirs(os.path.join(cls.work, "postfix"))
        config = """smtp_ports: [%s]
paths:
  postfix_config_directory: %s
collectors:
  firewall:
    ufw_directory: %s
    ufw_defaults_file: %s
    firewalld_directory: %s
""" % (", ".join(map(str, PORTS)), os.path.join(cls.work, "postfix"), cls.ufw_dir,
       cls.ufw_default, cls.fwd_dir)
        cls.exporter = NetnsExporter(p.a, config=config).start()

    @classmethod
    def tearDownClass(cls):
        print("\nfirewall corpus: case / port / kernel / exporter", file=sys.stderr)
        for r in cls.results:
            print("  %-28s %5s  %-12s %-12s %s" % r, file=sys.stderr)

    # --- helpers ---------------------------------------------------------
    def a(self, cmd, **kw):
        return run(["ip", "netns", "exec", self.pair.a] + cmd, **kw)

    def reset(self):
        self.a(["nft", "flush", "ruleset"])
        if FirewallTest.legacy_used:
            for tool in ("iptables-legacy", "ip6tables-legacy"):
                for args in (["-F"], ["-X"], ["-P", "INPUT", "ACCEPT"]):
                    self.a([tool] + args, check=False)
            FirewallTest.legacy_used = False

    def fill(self, s):
        for k, v in self.subst.items():
            s = s.replace("{%s}" % k, v)
        return s

    def probe(self):
        specs = []
        for port in PORTS:
            for src, (dst, sa) in self.specs.items():
                specs.append("%s,%d,%s" % (dst, port, sa))
        out = json.loads(run(["ip", "netns", "exec", self.pair.b, sys.executable, PROBE,
                              "probe", str(PROBE_TIMEOUT)] + specs))
        kernel = {}
        raw = {}
        for port in PORTS:
            outs = {src: out["%s,%d,%s" % (dst, port, sa)]
                    for src, (dst, sa) in self.specs.items()}
            raw[port] = outs
            kernel[port] = observed_verdict(list(outs.values()))
        return kernel, raw

    def check_case(self, name, expect, reasons, backend="nftables",
                   family="mailflow_firewall_inbound_verdict"):
        capture = os.environ.get("MAILFLOW_FIREWALL_CAPTURE")
        if capture:  # rulesets for unit-test fixtures (tests/fixtures/firewall)
            os.makedirs(capture, exist_ok=True)
            for suffix, cmd in ((".json", ["nft", "-j", "list", "ruleset"]),
                                (".iptables-nft-save", ["iptables-nft-save"]),
                                (".ip6tables-nft-save", ["ip6tables-nft-save"]),
                                (".iptables-legacy-save", ["iptables-legacy-save"]),
                                (".ip6tables-legacy-save", ["ip6tables-legacy-save"])):
                text = self.a(cmd, check=False)
                text = "\n".join(l for l in text.splitlines()
                                 if not l.startswith("# "))  # no timestamps
                if text.strip():
                    with open(os.path.join(capture, name + suffix), "w") as f:
                        f.write(text + "\n")
        kernel, raw = self.probe()
        m = self.exporter.scrape()
        self.assertEqual(m.get("mailflow_collector_success", collector="firewall"), 1,
                         self.exporter.log()[-2000:])
        for port in PORTS:
            got = verdict_of(m, family, backend, port)
            self.results.append((name, port, kernel[port], got, raw[port] if kernel[port] != got else ""))
            with self.subTest(case=name, port=port):
                # the corpus documents what the kernel does ...
                self.assertEqual(kernel[port], expect[port], "kernel: %r" % raw[port])
                # ... and the evaluator must agree with the kernel
                self.assertEqual(got, kernel[port], "kernel: %r" % raw[port])
                if got == "conditional":
                    self.assertEqual(reason_of(m, "mailflow_firewall_inbound_conditional_reason",
                                               backend, port), reasons.get(port))
        return m

    # --- the corpus ---------------------------------------------------------
    def test_corpus(self):
        for case in CORPUS:
            with self.subTest(case=case["name"]):
                self.reset()
                if "nft" in case and case["nft"]:
                    self.a(["nft", "-f", "-"], input=self.fill(case["nft"]))
                if case.get("backend") == "iptables_legacy":
                    FirewallTest.legacy_used = True
                for argv in case.get("iptables", []):
                    self.a([self.fill(x) for x in argv])
                self.check_case(case["name"], case["expect"], case.get("reasons", {}),
                                backend=case.get("backend", "nftables"))
        self.reset()

    def corpus_case(self, name):
        case = [c for c in CORPUS if c["name"] == name][0]
        self.reset()
        self.a(["nft", "-f", "-"], input=self.fill(case["nft"]))
        return case

    def test_diagnose_names_the_rule_and_the_fix_works(self):
        """diagnose quotes the rule (or policy) that rejects or drops, and
        the fix it prints opens the port for real."""
        self.corpus_case("reject_tcp_reset")
        handles = {m.group(1): m.group(2) for m in re.finditer(
            r"tcp dport (\d+) .*# handle (\d+)", self.a(["nft", "-a", "list", "ruleset"]))}
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"firewall": "fail"}, d)
        self.assertEqual(d.exit_code, 2)
        f = d.finding("firewall", "port 25")
        self.assertEqual(f["status"], "fail")
        self.assertIn("rejected", f["summary"])
        self.assertEqual(Diagnosis.evidence(f),
                         ["tcp dport 25 reject with tcp reset [nftables: inet t input handle %s]"
                          % handles["25"]])
        self.assertEqual(f["fix"], "nft insert rule inet t input tcp dport 25 accept")
        self.assertEqual(f["runbook"]["name"], "SMTPPortBlockedByFirewall")
        self.assertEqual(Diagnosis.evidence(d.finding("firewall", "port 587")),
                         ["tcp dport 587 counter reject [nftables: inet t input handle %s]"
                          % handles["587"]])
        self.assertEqual(d.finding("firewall", "port 465")["status"], "ok")

        self.corpus_case("drop_policy")
        d = self.exporter.diagnose()
        f = d.finding("firewall", "port 587")
        self.assertIn("dropped", f["summary"])
        self.assertEqual(Diagnosis.evidence(f),
                         ["policy drop [nftables: policy of inet t input]"])
        self.assertEqual(d.finding("firewall", "port 25")["status"], "ok")
        # Apply the printed fix for every failing port: the kernel accepts.
        for port in (587, 465, 2525):
            fix = d.finding("firewall", "port %d" % port)["fix"]
            self.assertEqual(fix, "nft insert rule inet t input tcp dport %d accept" % port)
            self.a(fix.split())
        # (IPv4 only: this test ruleset also drops ICMPv6 neighbour
        # discovery, so IPv6 depends on a still-cached neighbour entry.)
        _, raw = self.probe()
        for port, outcomes in raw.items():
            self.assertEqual({outcomes[s] for s in ("v4", "v4b", "if2")}, {"connected"},
                             (port, outcomes))
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {}, d)
        self.assertEqual(d.exit_code, 0)
        self.reset()

    def test_ufw(self):
        self.reset()
        ufw_dir, dflt = self.ufw_dir, self.ufw_default

        def ufw(*args):
            # ufw edits /etc/ufw and /etc/default/ufw: private copies,
            # bind-mounted in the mount namespace `ip netns exec` makes.
            script = ('mount --bind "$1" /etc/ufw && mount --bind "$2" /etc/default/ufw'
                      ' && shift 2 && exec ufw "$@"')
            return self.a(["sh", "-c", script, "sh", ufw_dir, dflt] + list(args))

        on_exit(lambda: subprocess.run(["ip", "netns", "exec", self.pair.a, "nft", "flush",
                                        "ruleset"], stderr=subprocess.DEVNULL))
        ufw("--force", "enable")
        ufw("default", "deny", "incoming")
        ufw("allow", "25/tcp")
        ufw("allow", "from", self.pair.addr_b2, "to", "any", "port", "587", "proto", "tcp")
        ufw("reject", "465/tcp")
        expect = {25: "accept", 587: "conditional", 465: "reject", 2525: "drop"}
        reasons = {587: "source_address"}
        m = self.check_case("ufw", expect, reasons)
        self.assertEqual(m.get("mailflow_firewall_backend_enabled", backend="ufw"), 1)
        for port in PORTS:
            with self.subTest(manager="ufw", port=port):
                self.assertEqual(verdict_of(m, "mailflow_firewall_manager_verdict", "ufw", port),
                                 expect[port])
        # Every metric the dashboard row queries is in this scrape (ufw with a
        # conditional port exercises all of them).
        with open(os.path.join(harness.SOURCE_DIR, "dashboards", "grafana", "rows",
                               "15-firewall.json")) as f:
            row = json.load(f)
        for panel in row[1:]:
            for t in panel["targets"]:
                for name in re.findall(r"mailflow_[a-z_]+", t["expr"]):
                    with self.subTest(panel=panel["title"], metric=name):
                        self.assertTrue(m.has(name), name)
        # And every panel's query returns data from a real Prometheus (in
        # the exporter's namespace).
        prom = harness.Prometheus([self.exporter.address], netns=self.pair.a).start()
        try:
            self.assertEqual(prom.row_panels_without_data("15-firewall.json"), [],
                             "panels without data")
        finally:
            prom.stop()
        ufw("--force", "disable")
        m = self.exporter.scrape()
        self.assertEqual(m.get("mailflow_firewall_backend_enabled", backend="ufw"), 0)
        self.assertEqual(m.find("mailflow_firewall_manager_verdict", backend="ufw"), [])
        self.reset()

    def test_capability(self):
        """Without CAP_NET_ADMIN: success 0 and a message naming the fix; with
        only that capability (ambient, as AmbientCapabilities= in a unit)
        as user nobody: the verdicts. Nothing else needs root."""
        self.reset()
        self.a(["nft", "-f", "-"], input="""table inet t { chain input {
  type filter hook input priority 0; policy accept;
  tcp dport 25 drop
}
}""")
        config = "smtp_ports: [25]\npaths:\n  postfix_config_directory: /nonexistent\n"
        results = {}
        for name, caps in (("none", ["--inh-caps=-all"]),
                           ("net_admin", ["--inh-caps=+net_admin", "--ambient-caps=+net_admin"])):
            work = harness.tmpdir("mailflow-fw-cap-")
            os.chmod(work, 0o755)
            prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + caps
            e = NetnsExporter(self.pair.a, prefix=prefix, config=config, workdir=work)
            os.chmod(e.config_path, 0o644)
            e.start()
            results[name] = (e.scrape(), e)
        m, e = results["none"]
        self.assertEqual(m.get("mailflow_collector_success", collector="firewall"), 0)
        self.assertEqual(m.get("mailflow_firewall_ruleset_readable", backend="nftables"), 0)
        self.assertEqual(m.find("mailflow_firewall_inbound_verdict"), [])
        log = e.log()
        self.assertIn("Operation not permitted", log)
        self.assertIn("grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN", log)
        m, e = results["net_admin"]
        self.assertEqual(m.get("mailflow_collector_success", collector="firewall"), 1, e.log())
        self.assertEqual(verdict_of(m, "mailflow_firewall_inbound_verdict", "nftables", 25), "drop")
        for _, (_, e) in results.items():
            e.stop()
        self.reset()

    def test_firewalld(self):
        self.reset()
        fw = self.fwd_dir
        bus = os.path.join(self.work, "bus.sock")
        with open("/usr/share/dbus-1/system.conf") as f:
            conf = f.read()
        conf = re.sub(r"<listen>.*</listen>", "<listen>unix:path=%s</listen>" % bus, conf)
        conf = re.sub(r"<pidfile>.*</pidfile>", "", conf)
        conf = conf.replace("<includedir>system.d</includedir>",
                            "<includedir>/usr/share/dbus-1/system.d</includedir>")
        dconf = os.path.join(self.work, "dbus.conf")
        with open(dconf, "w") as f:
            f.write(conf)
        dbus = subprocess.Popen(["dbus-daemon", "--config-file=" + dconf, "--nofork"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        on_exit(lambda: (dbus.kill(), dbus.wait(10)))
        wait_for(lambda: os.path.exists(bus), 10, what="dbus socket")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + bus)
        fwd = self.pair.popen(self.pair.a, [
            "firewalld", "--nofork", "--nopid", "--system-config", fw,
            "--log-target", "file", "--log-file", os.path.join(self.work, "firewalld.log")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def cmd(*args, check=True):
            return self.a(["firewall-cmd"] + list(args), env=env, check=check)

        def ready():
            if fwd.poll() is not None:
                raise RuntimeError("firewalld exited")
            return subprocess.run(["ip", "netns", "exec", self.pair.a, "firewall-cmd",
                                   "--state"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0
        # firewalld (Python) takes seconds to start, minutes on a loaded box.
        wait_for(ready, 180, interval=0.3, what="firewalld")
        rich = ('rule family="ipv4" source address="%s" port port="587" protocol="tcp" accept'
                % self.pair.addr_b2)
        for perm in ([], ["--permanent"]):
            cmd(*(perm + ["--add-service=smtp"]))
            cmd(*(perm + ["--add-rich-rule=" + rich]))
        expect = {25: "accept", 587: "conditional", 465: "reject", 2525: "reject"}
        reasons = {587: "source_address"}
        m = self.check_case("firewalld", expect, reasons)
        self.assertEqual(m.get("mailflow_firewall_backend_enabled", backend="firewalld"), 1)
        for port in PORTS:
            with self.subTest(manager="firewalld", port=port):
                self.assertEqual(
                    verdict_of(m, "mailflow_firewall_manager_verdict", "firewalld", port),
                    expect[port])
        fwd.terminate()
        fwd.wait(30)
        self.reset()


if __name__ == "__main__":
    unittest.main()
