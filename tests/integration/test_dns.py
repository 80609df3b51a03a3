"""The dns collector against real DNS servers on 127.0.0.1 (no mocks).

unbound serves a static test zone (MX, null MX, NODATA, NXDOMAIN, PTR) and a
zone forwarded to a blocked upstream (SERVFAIL); tools/dns_responder.py is a
programmable responder (delays, SERVFAIL/REFUSED, silence);
tools/udp_delay_proxy.py delays unbound's answers. Every resolv.conf here is
written by the test and names only these servers: nothing ever queries the
machine's resolver.
"""
import os
import re
import socket
import subprocess
import sys
import time
import unittest

import harness
from harness import Diagnosis

HERE = os.path.dirname(os.path.abspath(__file__))
DNS_ONLY = ["--collector.disable-defaults", "--collector.dns"]
TOOLS = os.path.join(HERE, "tools")
RESULTS = ("ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "other")

UNBOUND_CONF = """server:
  interface: 127.0.0.1
  port: {port}
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  # never recurse, never send a query anywhere
  do-not-query-address: 0.0.0.0/0
  do-not-query-address: ::/0
  local-zone: "." refuse
  local-zone: "example.test." static
  local-data: "example.test. 300 IN MX 10 mx1.example.test."
  local-data: "example.test. 300 IN MX 20 mx2.example.test."
  local-data: "mx1.example.test. 300 IN A 127.0.0.25"
  local-data: "mx2.example.test. 300 IN A 127.0.0.26"
  local-data: "mx2.example.test. 300 IN AAAA ::1"
  local-data: "nomx.example.test. 300 IN A 127.0.0.27"
  local-data: "nullmx.example.test. 300 IN MX 0 ."
  local-data: "mail.example.test. 300 IN A 192.0.2.10"
  local-data: "bad.example.test. 300 IN A 192.0.2.99"
  local-data: "2.0.0.127.zen.example.test. 300 IN A 127.0.0.2"
  local-zone: "2.0.192.in-addr.arpa." static
  local-data-ptr: "192.0.2.10 mail.example.test"
  local-data-ptr: "192.0.2.11 bad.example.test"
  # SERVFAIL: forwarded to an upstream that do-not-query-address blocks
  local-zone: "dead.test." transparent
forward-zone:
  name: "dead.test."
  forward-addr: 127.0.0.1@9
remote-control:
  control-enable: no
"""


def dns_query(port, name, qtype=15, timeout=0.5):
    """Sends one query to 127.0.0.1:port; returns the rcode or None."""
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += bytes([0, qtype, 0, 1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(q, ("127.0.0.1", port))
            r, _ = s.recvfrom(4096)
        except OSError:
            return None
    return r[3] & 0x0F


def start_tool(args):
    """Starts a tools/ helper that prints "ready PORT"; returns (proc, port)."""
    p = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    harness.on_exit(lambda: (p.kill(), p.wait()))
    line = p.stdout.readline()
    if not line.startswith("ready "):
        raise RuntimeError("tool %r did not start: %r" % (args, line))
    return p, int(line.split()[1])


def start_unbound():
    d = harness.tmpdir("mailflow-unbound-")
    port = harness.free_port()
    conf = os.path.join(d, "unbound.conf")
    with open(conf, "w") as f:
        f.write(UNBOUND_CONF.format(port=port, dir=d))
    harness.run(["unbound-checkconf", conf])
    log = open(os.path.join(d, "unbound.log"), "w")
    p = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log,
                         stderr=subprocess.STDOUT)
    harness.on_exit(lambda: (p.terminate(), p.wait(10), log.close()))
    harness.wait_for(lambda: dns_query(port, "example.test") == 0, 15,
                     what="unbound to answer")
    return port


def closed_udp_port():
    """A UDP port on 127.0.0.1 where nothing listens (ICMP unreachable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


MASTER_CF_CHROOT = """smtp      inet  n       -       {smtpd_chroot}       -       -       smtpd
pickup    unix  n       -       y       60      1       pickup
smtp      unix  -       -       {chroot}       -       -       smtp
"""


def postfix_dir(main_cf_extra="", chroot="n", queue_dir=None, smtpd_chroot=None):
    """A Postfix config dir (main.cf + master.cf) for the collector to read.
    chroot: the smtp client's chroot column; smtpd_chroot: smtpd's (default:
    the same)."""
    d = harness.tmpdir("mailflow-dns-postfix-")
    queue_dir = queue_dir or os.path.join(d, "spool")
    write(os.path.join(d, "main.cf"),
          "queue_directory = %s\nmyhostname = mail.example.test\n%s" %
          (queue_dir, main_cf_extra))
    write(os.path.join(d, "master.cf"),
          MASTER_CF_CHROOT.format(chroot=chroot, smtpd_chroot=smtpd_chroot or chroot))
    return d, queue_dir


def exporter_config(pdir, dns_options):
    lines = ["paths:", "  postfix_config_directory: %s" % pdir,
             "collectors:", "  dns:"]
    lines += ["    " + l for l in dns_options.strip().splitlines()]
    return "\n".join(lines) + "\n"


def wait_rounds(exp, n=2, timeout=30):
    """Waits until at least n rounds finished; returns the last scrape."""
    first = {}

    def ready():
        m = exp.scrape()
        ts = m.get("mailflow_dns_last_run_timestamp_seconds")
        if ts is None:
            return None
        first.setdefault("ts", set()).add(ts)
        return m if len(first["ts"]) >= n else None
    return harness.wait_for(ready, timeout, interval=0.2, what="DNS rounds")


def bucket(m, name, le, **labels):
    v = m.get(name + "_bucket", le=le, **labels)
    if v is None:
        raise AssertionError("no %s_bucket{le=%s,%r}" % (name, le, labels))
    return v


class DnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unbound = start_unbound()
        cls.dir = harness.tmpdir("mailflow-dns-")

    def resolv_conf(self, name, *servers, extra=""):
        path = os.path.join(self.dir, name)
        write(path, extra + "".join("nameserver %s\n" % s for s in servers))
        return path

    def assert_only(self, m, name, result, **labels):
        """name{labels, result=result} > 0 and every other class == 0."""
        for r in RESULTS:
            v = m.get(name, result=r, **labels)
            self.assertIsNotNone(v, "%s{%r, result=%s} missing" % (name, labels, r))
            if r == result:
                self.assertGreater(v, 0, "%s %r result=%s" % (name, labels, r))
            else:
                self.assertEqual(v, 0, "%s %r result=%s" % (name, labels, r))

    def test_result_classes_against_unbound(self):
        # The same server twice: libc asks it twice; one series per label.
        rc = self.resolv_conf("rc-classes", "127.0.0.1:%d" % self.unbound,
                              "127.0.0.1:%d" % self.unbound,
                              extra="# comment\noptions timeout:1 attempts:1\n")
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
domains: [example.test, nullmx.example.test, nomx.example.test,
          missing.example.test, dead.test, outside.zone]
interval: 1s
round_timeout: 900ms
query_timeout: 800ms
""" % rc)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            res = "127.0.0.1:%d" % self.unbound
            self.assertEqual(m.get("mailflow_dns_resolver_configured",
                                   resolver=res, source="resolv_conf"), 1)
            self.assertEqual(m.get("mailflow_dns_resolver_local", resolver=res), 1)
            self.assertEqual(m.get("mailflow_dns_local_cache_configured"), 1)
            self.assertEqual(m.get("mailflow_dns_resolver_answering", resolver=res), 1)
            for domain, result in [("example.test", "ok"), ("nullmx.example.test", "ok"),
                                   ("nomx.example.test", "nodata"),
                                   ("missing.example.test", "nxdomain"),
                                   ("dead.test", "servfail"), ("outside.zone", "refused")]:
                self.assert_only(m, "mailflow_dns_mx_lookups_total", result, domain=domain)
            self.assertEqual(m.get("mailflow_dns_mx_records", domain="example.test"), 2)
            self.assertEqual(m.get("mailflow_dns_mx_null", domain="example.test"), 0)
            self.assertEqual(m.get("mailflow_dns_mx_records", domain="nullmx.example.test"), 1)
            self.assertEqual(m.get("mailflow_dns_mx_null", domain="nullmx.example.test"), 1)
            self.assertEqual(m.get("mailflow_dns_mx_records", domain="nomx.example.test"), 0)
            # MX hosts: A of mx1/mx2 ok; AAAA of mx2 ok, of mx1 nodata.
            self.assertGreater(m.get("mailflow_dns_lookups_total", type="A",
                                     resolver=res, result="ok"), 0)
            self.assertEqual(m.get("mailflow_dns_lookups_total", type="A",
                                   resolver=res, result="nxdomain"), 0)
            self.assertGreater(m.get("mailflow_dns_lookups_total", type="AAAA",
                                     resolver=res, result="ok"), 0)
            self.assertGreater(m.get("mailflow_dns_lookups_total", type="AAAA",
                                     resolver=res, result="nodata"), 0)
            # Histogram: count matches the counters; +Inf holds everything.
            total = sum(m.get("mailflow_dns_lookups_total", type="MX", resolver=res,
                              result=r) for r in RESULTS)
            self.assertEqual(m.get("mailflow_dns_lookup_duration_seconds_count",
                                   type="MX", resolver=res), total)
            self.assertEqual(bucket(m, "mailflow_dns_lookup_duration_seconds", "+Inf",
                                    type="MX", resolver=res), total)
            # The cache check ran (first and repeat medians are exported).
            self.assertIsNotNone(m.get("mailflow_dns_cache_lookup_duration_seconds",
                                       resolver=res, attempt="repeat"))
            self.assertEqual(m.get("mailflow_dns_last_run_queries", state="skipped"), 0)
            self.assertEqual(m.get("mailflow_dns_resolv_conf_problems", file="host"), 2)
            # The exposition passes promtool's checks (names, types, HELP, units).
            p = subprocess.run(["promtool", "check", "metrics"], input=m.text,
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_slow_silent_refusing_resolvers(self):
        _, fast = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--zone", "test"])
        _, slow = start_tool([os.path.join(TOOLS, "udp_delay_proxy.py"), "--upstream",
                              "127.0.0.1:%d" % self.unbound, "--delay-ms", "300"])
        _, silent = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--silent"])
        closed = closed_udp_port()
        rc = self.resolv_conf("rc-mixed", "127.0.0.1:%d" % fast)
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
resolvers: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"]
domains: [example.test, servfail.test, refused.test]
mx_hosts_per_domain: 0
cache_check: false
interval: 2s
round_timeout: 1500ms
query_timeout: 600ms
""" % (rc, slow, silent, closed))
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            r_fast, r_slow = "127.0.0.1:%d" % fast, "127.0.0.1:%d" % slow
            r_silent, r_closed = "127.0.0.1:%d" % silent, "127.0.0.1:%d" % closed
            lk = "mailflow_dns_lookups_total"
            # The responder's SERVFAIL/REFUSED arrive as such (NOCHECKRESP).
            self.assertGreater(m.get(lk, type="MX", resolver=r_fast, result="servfail"), 0)
            self.assertGreater(m.get(lk, type="MX", resolver=r_fast, result="refused"), 0)
            self.assertGreater(m.get(lk, type="MX", resolver=r_fast, result="ok"), 0)
            # Silent server: every lookup a timeout, counted at ~600 ms.
            self.assert_only(m, lk, "timeout", type="MX", resolver=r_silent)
            h = "mailflow_dns_lookup_duration_seconds"
            n = m.get(h + "_count", type="MX", resolver=r_silent)
            self.assertEqual(bucket(m, h, "0.5", type="MX", resolver=r_silent), 0)
            self.assertEqual(bucket(m, h, "2.5", type="MX", resolver=r_silent), n)
            self.assertEqual(m.get("mailflow_dns_resolver_answering", resolver=r_silent), 0)
            # Nothing listening: ICMP port unreachable -> refused, not answering.
            self.assert_only(m, lk, "refused", type="MX", resolver=r_closed)
            self.assertEqual(m.get("mailflow_dns_resolver_answering", resolver=r_closed), 0)
            # 300 ms proxy: nothing under 250 ms, everything answered.
            n = m.get(h + "_count", type="MX", resolver=r_slow)
            self.assertGreater(n, 0)
            self.assertEqual(bucket(m, h, "0.25", type="MX", resolver=r_slow), 0)
            self.assertEqual(bucket(m, h, "+Inf", type="MX", resolver=r_slow), n)
            self.assertEqual(m.get(lk, type="MX", resolver=r_slow, result="timeout"), 0)
            self.assertEqual(m.get("mailflow_dns_resolver_answering", resolver=r_slow), 1)
            self.assertEqual(m.get("mailflow_dns_resolver_local", resolver=r_slow), 1)
            # Every query was sent and ended before the round timeout.
            self.assertEqual(m.get("mailflow_dns_last_run_queries", state="skipped"), 0)
            # diagnose: the silent and the closed resolver never answer (and
            # their latency cannot be measured), the responder fails 2 of 3.
            d = exp.diagnose(DNS_ONLY)
            self.assertEqual(d.problems(), {"dns": "warn"}, d)
            self.assertEqual(d.exit_code, 1)
            for r in (r_silent, r_closed):
                f = d.finding("dns", "resolver " + r, status="warn")
                self.assertIn("did not answer a single query", f["summary"])
                self.assertEqual(f["runbook"]["name"], "DNSLookupFailures")
                self.assertTrue(d.finding("dns", "resolver " + r, status="skipped")["unchecked"])
            f = d.finding("dns", "resolver " + r_fast, status="warn")
            self.assertIn("2 of 3 lookups", f["summary"])
            self.assertRegex(Diagnosis.evidence(f)[0],
                             r"^MX (servfail|refused)\.test: (servfail|refused) ")
            self.assertIn("MX lookups in", d.finding("dns", "resolver " + r_slow)["summary"])

    def test_chroot_resolv_conf_differs(self):
        _, fast = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--zone", "test"])
        host = self.resolv_conf("rc-host", "127.0.0.1:%d" % self.unbound)
        pdir, spool = postfix_dir(chroot="y")
        jail = os.path.join(spool, "etc", "resolv.conf")
        write(jail, "nameserver 127.0.0.1:%d\n" % fast)
        cfg = exporter_config(pdir, "resolv_conf: %s\ndomains: [example.test]\n"
                              "interval: 1s\nround_timeout: 900ms\nquery_timeout: 500ms\n"
                              % host)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            self.assertEqual(m.get("mailflow_dns_smtp_chrooted"), 1)
            self.assertEqual(m.get("mailflow_dns_chroot_resolv_conf_differs"), 1)
            # A nameserver with a port is a line libc misreads: counted and
            # logged for the jail's copy too.
            self.assertEqual(m.get("mailflow_dns_resolv_conf_problems", file="chroot"), 1)
            self.assertIn(jail + ": ", exp.log())
            r_jail = "127.0.0.1:%d" % fast
            self.assertEqual(m.get("mailflow_dns_resolver_configured", resolver=r_jail,
                                   source="chroot_resolv_conf"), 1)
            # Both resolvers are probed.
            self.assertGreater(m.get("mailflow_dns_lookups_total", type="MX",
                                     resolver=r_jail, result="ok"), 0)
            self.assertGreater(m.get("mailflow_dns_lookups_total", type="MX",
                                     resolver="127.0.0.1:%d" % self.unbound,
                                     result="ok"), 0)
            d = exp.diagnose(DNS_ONLY)
            self.assertEqual(d.problems(), {"dns": "warn"}, d)
            f = d.finding("dns", "chroot resolv.conf")
            self.assertEqual(Diagnosis.evidence(f), [
                "nameserver 127.0.0.1:%d [%s]" % (self.unbound, host),
                "nameserver 127.0.0.1:%d [%s]" % (fast, jail)])
            self.assertEqual(f["fix"], "cp %s %s" % (host, jail))
            self.assertEqual(f["runbook"]["name"], "ChrootResolvConfDiffers")
            # Fix the copy: the next scrape sees it (files are read each scrape).
            write(jail, "# copied\nnameserver 127.0.0.1:%d\n" % self.unbound)
            self.assertEqual(exp.scrape().get("mailflow_dns_chroot_resolv_conf_differs"), 0)
            # A missing copy: libc falls back to 127.0.0.1:53 -> differs.
            os.unlink(jail)
            self.assertEqual(exp.scrape().get("mailflow_dns_chroot_resolv_conf_differs"), 1)

    def test_diagnose_slow_resolver(self):
        # MX answers after 1.2 s: over MXLookupSlow's 1 s.
        _, slow = start_tool([os.path.join(TOOLS, "udp_delay_proxy.py"), "--upstream",
                              "127.0.0.1:%d" % self.unbound, "--delay-ms", "1200"])
        rc = self.resolv_conf("rc-slow", "127.0.0.1:%d" % slow)
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
domains: [example.test]
mx_hosts_per_domain: 0
cache_check: false
interval: 10s
round_timeout: 5s
query_timeout: 3s
""" % rc)
        with harness.Exporter(config=cfg, args=DNS_ONLY) as exp:
            d = exp.diagnose()
            self.assertEqual(d.problems(), {"dns": "warn"}, d)
            r = "127.0.0.1:%d" % slow
            f = d.finding("dns", "resolver " + r, status="warn")
            self.assertRegex(f["summary"], r"^MX lookups through %s take 1\.\d s \(median\)"
                             % re.escape(r))
            self.assertEqual(f["runbook"]["name"], "MXLookupSlow")
            self.assertEqual(d.finding("dns", "resolvers")["status"], "ok")

    def test_diagnose_resolver_that_never_answers_is_bounded(self):
        # A round that would outlast diagnose's bound: the step could not
        # be checked, says why, and diagnose still ends in time.
        _, silent = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--silent"])
        rc = self.resolv_conf("rc-silent", "127.0.0.1:%d" % silent)
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
domains: [example.test]
interval: 1m
round_timeout: 30s
query_timeout: 30s
""" % rc)
        with harness.Exporter(config=cfg, args=DNS_ONLY) as exp:
            d = exp.diagnose(timeout="4s")
            self.assertLess(d.seconds, 8)
            self.assertEqual(d.exit_code, 3, d)
            f = d.finding("dns", status="skipped")
            self.assertTrue(f["unchecked"])
            self.assertIn("no DNS probe round has finished yet", f["summary"])

    def test_rbl_zones_from_main_cf(self):
        _, resp = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--zone", "test"])
        rc = self.resolv_conf("rc-rbl", "127.0.0.1:%d" % resp)
        pdir, _ = postfix_dir(main_cf_extra="""
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,
    reject_rbl_client zen.rbl.test=127.0.0.[2..11],
    reject_rhsbl_sender dbl.rbl.test
postscreen_dnsbl_sites = delay300ms.rbl.test*2 silent.rbl.test
""")
        cfg = exporter_config(pdir, """
resolv_conf: %s
rbl_checks: true
interval: 2s
round_timeout: 1500ms
query_timeout: 700ms
""" % rc)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="rbl"), 4)
            for zone in ("zen.rbl.test", "dbl.rbl.test", "delay300ms.rbl.test"):
                self.assertEqual(m.get("mailflow_dns_rbl_test_entry_listed", zone=zone), 1,
                                 zone)
                self.assert_only(m, "mailflow_dns_rbl_lookups_total", "ok", zone=zone)
            self.assertEqual(m.get("mailflow_dns_rbl_test_entry_listed",
                                   zone="silent.rbl.test"), 0)
            self.assert_only(m, "mailflow_dns_rbl_lookups_total", "timeout",
                             zone="silent.rbl.test")
            h = "mailflow_dns_rbl_lookup_duration_seconds"
            self.assertEqual(bucket(m, h, "0.25", zone="delay300ms.rbl.test"), 0)
            self.assertEqual(bucket(m, h, "0.5", zone="silent.rbl.test"), 0)
            self.assertEqual(m.get("mailflow_dns_last_run_queries", state="skipped"), 0)

    def test_rbl_lookups_use_smtpd_resolver(self):
        # smtpd (which does the RBL lookups) runs chrooted, the smtp client
        # does not: RBL test entries go to the jail's resolver, whose copy of
        # resolv.conf differs; unbound (the host's) would refuse rbl.test.
        _, resp = start_tool([os.path.join(TOOLS, "dns_responder.py"), "--zone", "test"])
        host = self.resolv_conf("rc-smtpd-host", "127.0.0.1:%d" % self.unbound)
        pdir, spool = postfix_dir(chroot="n", smtpd_chroot="y", main_cf_extra=(
            "smtpd_client_restrictions = reject_rbl_client zen.rbl.test\n"))
        write(os.path.join(spool, "etc", "resolv.conf"), "nameserver 127.0.0.1:%d\n" % resp)
        cfg = exporter_config(pdir, "resolv_conf: %s\nrbl_checks: true\ninterval: 1s\n"
                              "round_timeout: 900ms\nquery_timeout: 500ms\n" % host)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            self.assertEqual(m.get("mailflow_dns_smtp_chrooted"), 0)
            self.assertEqual(m.get("mailflow_dns_chroot_resolv_conf_differs"), 1)
            self.assertEqual(m.get("mailflow_dns_resolver_configured",
                                   resolver="127.0.0.1:%d" % resp,
                                   source="chroot_resolv_conf"), 1)
            # The smtp client's resolver is the host's: local cache = unbound.
            self.assertEqual(m.get("mailflow_dns_local_cache_configured"), 1)
            self.assertEqual(m.get("mailflow_dns_rbl_test_entry_listed", zone="zen.rbl.test"), 1)
            self.assert_only(m, "mailflow_dns_rbl_lookups_total", "ok", zone="zen.rbl.test")

    def test_reverse_dns(self):
        rc = self.resolv_conf("rc-rdns", "127.0.0.1:%d" % self.unbound)
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
reverse_dns_addresses: [192.0.2.10, 192.0.2.11, 192.0.2.12]
interval: 1s
round_timeout: 900ms
query_timeout: 500ms
""" % rc)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            g = m.get
            self.assertEqual(g("mailflow_dns_reverse_ptr_present", address="192.0.2.10"), 1)
            self.assertEqual(g("mailflow_dns_reverse_forward_confirmed", address="192.0.2.10"), 1)
            self.assertEqual(g("mailflow_dns_reverse_matches_myhostname", address="192.0.2.10"), 1)
            self.assertEqual(g("mailflow_dns_reverse_ptr_present", address="192.0.2.11"), 1)
            self.assertEqual(g("mailflow_dns_reverse_forward_confirmed", address="192.0.2.11"), 0)
            self.assertEqual(g("mailflow_dns_reverse_matches_myhostname", address="192.0.2.11"), 0)
            self.assertEqual(g("mailflow_dns_reverse_ptr_present", address="192.0.2.12"), 0)
            self.assertEqual(g("mailflow_dns_reverse_forward_confirmed", address="192.0.2.12"), 0)
            res = "127.0.0.1:%d" % self.unbound
            self.assertGreater(g("mailflow_dns_lookups_total", type="PTR", resolver=res,
                                 result="nxdomain"), 0)

    def test_domain_label_cap(self):
        rc = self.resolv_conf("rc-cap", "127.0.0.1:%d" % self.unbound)
        pdir, _ = postfix_dir()
        cfg = exporter_config(pdir, """
resolv_conf: %s
domains: [example.test, nomx.example.test, a.example.test, b.example.test, c.example.test]
max_domains: 2
interval: 1s
round_timeout: 900ms
query_timeout: 500ms
""" % rc)
        with harness.Exporter(config=cfg) as exp:
            m = wait_rounds(exp)
            domains = {l["domain"] for l, _ in
                       m.find("mailflow_dns_mx_lookup_duration_seconds_count")}
            self.assertEqual(domains, {"example.test", "nomx.example.test", "other"})
            self.assertEqual({l["domain"] for l, _ in m.find("mailflow_dns_mx_records")},
                             {"example.test", "nomx.example.test"})
            self.assertGreater(m.get("mailflow_dns_mx_lookups_total", domain="other",
                                     result="nxdomain"), 0)

    def test_default_config_sends_nothing(self):
        # A UDP socket posing as the resolver of resolv.conf: it must
        # receive nothing, since the config names no domain.
        trap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        trap.bind(("127.0.0.1", 0))
        trap.setblocking(False)
        harness.on_exit(trap.close)
        etc = os.path.join(self.dir, "etc-default")
        write(os.path.join(etc, "resolv.conf"),
              "nameserver 127.0.0.1:%d\n" % trap.getsockname()[1])
        pdir, _ = postfix_dir()
        cfg = "paths:\n  postfix_config_directory: %s\n  etc: %s\n" % (pdir, etc)
        with harness.Exporter(config=cfg) as exp:
            m = exp.scrape()
            time.sleep(1.5)
            m = exp.scrape()
            self.assertEqual(m.get("mailflow_collector_success", collector="dns"), 1)
            self.assertEqual(m.get("mailflow_dns_probe_targets", kind="domain"), 0)
            self.assertIsNone(m.get("mailflow_dns_last_run_timestamp_seconds"))
            self.assertEqual(m.get("mailflow_dns_resolver_configured",
                                   resolver="127.0.0.1:%d" % trap.getsockname()[1],
                                   source="resolv_conf"), 1)
            with self.assertRaises(BlockingIOError):
                trap.recvfrom(512)
            self.assertIn("DNS prober stays idle", exp.log())


if __name__ == "__main__":
    unittest.main()
