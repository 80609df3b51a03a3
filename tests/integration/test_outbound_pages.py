"""Outbound pages without probes, and independent failures that both page.

Five real Postfix hosts (Debian 12 "Internet Site" files, corpus.py's star of
namespaces) with the exporter on its defaults (no outbound probe configured),
one Prometheus with the shipped rules (every `for:` divided by 30) and the
shipped Alertmanager routing to a webhook, mail flowing into every host:

  relay-refused   relayhost [hub]:2525, nothing listens there
  relay-timeout   relayhost [hub]:2526, the hub drops those SYNs
  dns-dead        delivers by MX, its resolver does not answer
  fw-and-probe    the firewall drops port 587 while port 25's smtpd waits
                  for a TLS handshake (smtpd_tls_wrappermode on 25, the
                  smtps setting on the wrong port): both page
  chroot-refused  the chroot's resolv.conf names another server while the
                  relayhost refuses: the stale jail copy opens a ticket, the
                  refusal pages (a DNS cause no longer hides mail not
                  flowing)

Each OutboundMailNotFlowing page must arrive through Alertmanager at the
pager receiver naming the reason class and the port, and its annotation the
top destination.
"""
import threading
import unittest

import corpus
import harness
from corpus import CORPUS_ZONE, CorpusHost, Star
from corpus_layouts import debian_main_cf, debian_master_cf
from harness import Alertmanager, Webhook, wait_for

JOB = "mail"


def relay_host(host, port):
    debian_main_cf(host, "Internet Site", host.name + "." + CORPUS_ZONE,
                   "$myhostname, localhost")
    debian_master_cf(host)
    # smtp_connect_timeout 3s (default 30s): the test's patience, not Postfix's.
    host.set(relayhost="[%s]:%d" % (host.hub_addr, port), smtp_connect_timeout="3s")


def dns_dead(host):
    debian_main_cf(host, "Internet Site", host.name + "." + CORPUS_ZONE,
                   "$myhostname, localhost")
    debian_master_cf(host)


def fw_and_probe(host):
    debian_main_cf(host, "Internet Site", host.name + "." + CORPUS_ZONE,
                   "$myhostname, %s.%s, localhost" % (host.name, CORPUS_ZONE))
    debian_master_cf(host, enable=("submission inet",))
    # Port 25's smtpd expects a TLS handshake first (smtps' wrapper mode):
    # SMTP clients, and the self-probe, wait for a greeting that never comes.
    with open(host.path("etc/master.cf")) as f:
        text = f.read()
    text = text.replace(
        "\nsmtp      inet  n       -       y       -       -       smtpd\n",
        "\nsmtp      inet  n       -       y       -       -       smtpd\n"
        "  -o smtpd_tls_wrappermode=yes\n")
    host.write("etc/master.cf", text)


def chroot_refused(host):
    relay_host(host, 2525)


SCENARIOS = {
    "relay-refused": lambda h: relay_host(h, 2525),
    "relay-timeout": lambda h: relay_host(h, 2526),
    "dns-dead": dns_dead,
    "fw-and-probe": fw_and_probe,
    "chroot-refused": chroot_refused,
}


class OutboundPagesTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.star = Star(len(SCENARIOS), tag="o")
        hub = cls.star.hub
        harness.run(["ip", "netns", "exec", hub, "nft", "-f", "-"],
                    input="table inet outbound {\n chain input {\n  type filter hook input "
                          "priority 0; policy accept;\n  tcp dport 2526 drop\n }\n}\n")
        cls.hosts = {}
        for i, (name, configure) in enumerate(SCENARIOS.items()):
            host = CorpusHost(cls.star, i, name)
            configure(host)
            host.private_instance()
            cls.hosts[name] = host
            harness.on_exit(host.stop)

        def start(host):
            host.start_postfix()
            if host.name == "chroot-refused":
                # The jail's copy names a server the host no longer uses.
                host.write("spool/etc/resolv.conf", "nameserver 10.99.99.99\n")
            if host.name == "fw-and-probe":
                host.run_ns(["nft", "-f", "-"], input=(
                    "table inet filter {\n chain input {\n  type filter hook input "
                    "priority 0; policy accept;\n  tcp dport 587 drop\n }\n}\n"))
            host.start_exporter()
        harness.start_concurrently(start, list(cls.hosts.values()), "hosts")
        cls.webhook = Webhook(netns=hub)
        cls.am = Alertmanager(cls.webhook, netns=hub).start()
        rules = harness.scaled_rules(harness.tmpdir(), divisor=30)
        cls.prom = corpus.prometheus([h.exporter.target for h in cls.hosts.values()],
                                     rules, JOB, cls.am.address, hub, scrape="5s")
        cls.stop_mail = threading.Event()
        harness.on_exit(cls.stop_mail.set)
        cls.mailer = threading.Thread(target=cls._mail, daemon=True)
        cls.mailer.start()

    @classmethod
    def _mail(cls):
        """Mail keeps arriving, for four destination domains."""
        for i in range(200):  # bounded: the test stops it long before
            for host in cls.hosts.values():
                if host.name == "fw-and-probe":
                    continue
                rcpt = "user%d@dest%d.%s" % (i, i % 4, CORPUS_ZONE)
                harness.run(["ip", "netns", "exec", host.ns, "sendmail", "-C", host.etc,
                             "-f", "app@%s.%s" % (host.name, CORPUS_ZONE), rcpt],
                            input="Subject: %d\n\nmail\n" % i, check=False)
            if cls.stop_mail.wait(1 if i < 15 else 3):
                return

    @classmethod
    def tearDownClass(cls):
        cls.stop_mail.set()
        cls.mailer.join(60)
        cls.prom.stop()
        cls.am.stop()
        for host in cls.hosts.values():
            host.stop()

    def notifications(self, receiver):
        out = []
        for n in self.webhook.notifications():
            if n["path"].strip("/") != receiver:
                continue
            for a in n["body"]["alerts"]:
                if a["status"] == "firing":
                    out.append((a["labels"], a["annotations"]))
        return out

    def page(self, alertname, host, receiver="pager", timeout=240):
        instance = self.hosts[host].exporter.target

        def arrived():
            return [(l, a) for l, a in self.notifications(receiver)
                    if l["alertname"] == alertname and l["instance"] == instance]
        try:
            return wait_for(arrived, timeout, interval=1, what=alertname)[0]
        except TimeoutError:
            raise AssertionError("no %s notification of %s for %s; got %s; firing %s" % (
                receiver, alertname, host,
                [(l["alertname"], l["instance"]) for l, _ in self.notifications(receiver)],
                self.prom.firing()))

    def test_outbound_mail_not_flowing_pages_with_the_reason(self):
        hub = {h.name: h.hub_addr for h in self.hosts.values()}
        want = {
            "relay-refused": ("connection_refused", "2525",
                              "relayhost [%s]:2525" % hub["relay-refused"]),
            "relay-timeout": ("connection_timed_out", "2526",
                              "relayhost [%s]:2526" % hub["relay-timeout"]),
            "dns-dead": ("host_not_found", "25", None),
        }
        for host, (reason, port, destination) in want.items():
            with self.subTest(host):
                labels, ann = self.page("OutboundMailNotFlowing", host)
                self.assertEqual((labels["severity"], labels["reason"], labels["port"]),
                                 ("critical", reason, port))
                if destination:
                    self.assertEqual(ann["top_destination"], destination)
                else:  # one of the four destination domains
                    self.assertRegex(ann["top_destination"], r"^dest\d\.corpus\.test$")
                self.assertIn(reason, ann["description"])

    def test_two_independent_failures_both_page(self):
        labels, _ = self.page("SMTPPortBlockedByFirewall", "fw-and-probe")
        self.assertEqual(labels["port"], "587")
        labels, _ = self.page("InboundSelfProbeFailing", "fw-and-probe")
        self.assertEqual(labels["port"], "25")
        self.assertEqual(labels["result"], "banner_timeout")
        # The self-probe of 587 (dropped: a timeout) is the firewall's
        # symptom: inhibited, never paged.
        probe_587 = [l for l, _ in self.notifications("pager")
                     if l["alertname"] == "InboundSelfProbeFailing" and l["port"] == "587"]
        self.assertEqual(probe_587, [])
        # The stale jail copy of resolv.conf opens a ticket (it also names
        # ChrootResolvConfDiffers, which it inhibits), the refused relay pages.
        labels, _ = self.page("PostfixChrootFilesMissing", "chroot-refused", receiver="ticket")
        self.assertEqual((labels["file"], labels["problem"]), ("etc/resolv.conf", "stale"))
        labels, _ = self.page("OutboundMailNotFlowing", "chroot-refused")
        self.assertEqual(labels["reason"], "connection_refused")


if __name__ == "__main__":
    unittest.main()
