"""Relay safety as Postfix decides it: for each of 25 restriction
configurations, a client in a peer network namespace (outside mynetworks,
not authenticated) sends RCPT TO a domain the server is not a destination
for, and what the real Postfix answers (250, or 4xx/5xx/no answer) must equal
the exporter's mailflow_postfix_relay_verdict for that service.

One private Postfix instance in namespace a runs every configuration as its
own smtpd service (10.N.0.1:PORT with -o overrides, so the exporter sees them
exactly as master.cf says); the client probes from namespace b (10.N.0.2,
and 10.N.0.3 as a second client address). Postfix's truth per service:
every probe answered 250 -> relayed; none -> refused; some -> depends (the
probes of a "depends" case differ only in what a lookup table or the policy
service is asked: client address, HELO name, sender, recipient domain).
"""
import json
import os
import subprocess
import sys
import unittest

import harness
from harness import Exporter, PostfixInstance, run, wait_for
from netns import NetnsPair

FOREIGN = "victim@foreign.test"


def probe(**kw):
    """A stranger's request; keys override the defaults."""
    return dict({"helo": "client.stranger.test", "sender": "someone@stranger.test",
                 "rcpt": FOREIGN, "source": "b"}, **kw)


STRANGER = [probe()]
DEBIAN_RELAY = "permit_mynetworks permit_sasl_authenticated defer_unauth_destination"

# (port, name, -o overrides, probes). Port 0: bound to 127.0.0.1 only.
CASES = [
    (2001, "debian default", {"smtpd_relay_restrictions": DEBIAN_RELAY}, STRANGER),
    (2002, "Debian submission block (terminal reject)", {
        "smtpd_client_restrictions": "", "smtpd_helo_restrictions": "",
        "smtpd_sender_restrictions": "", "smtpd_relay_restrictions": "",
        "smtpd_recipient_restrictions": "permit_sasl_authenticated,reject"}, STRANGER),
    (2003, "old-style recipient list", {
        "smtpd_relay_restrictions": "",
        "smtpd_recipient_restrictions": "permit_mynetworks,reject_unauth_destination"},
     STRANGER),
    (2004, "relay list permits, recipient list refuses", {
        "smtpd_relay_restrictions": "permit",
        "smtpd_recipient_restrictions": "reject_unauth_destination"}, STRANGER),
    (2005, "static:OK before reject", {
        "smtpd_relay_restrictions": "permit",
        "smtpd_recipient_restrictions": "permit_mynetworks,check_client_access static:OK,reject"},
     STRANGER),
    (2006, "restriction class that permits", {
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions": "permit_mynetworks,relay_ok,reject_unauth_destination"},
     STRANGER),
    (2007, "restriction class that rejects", {
        "smtpd_restriction_classes": "strict", "strict": "reject_unauth_destination",
        "smtpd_relay_restrictions": "permit_mynetworks,strict"}, STRANGER),
    (2008, "warn_if_reject, then a permitting class", {
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions":
            "warn_if_reject reject_unauth_destination,relay_ok,reject_unauth_destination"},
     STRANGER),
    (2009, "defer_if_permit", {"smtpd_relay_restrictions": "defer_if_permit,permit"},
     STRANGER),
    (2010, "defer_if_permit raised by the client list", {
        "smtpd_client_restrictions": "defer_if_permit",
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions": "relay_ok,reject_unauth_destination"}, STRANGER),
    (2011, "unknown restriction (typo)", {
        "smtpd_relay_restrictions": "permit_mynetwork,permit_sasl_authenticated,"
                                    "reject_unauth_destination"}, STRANGER),
    (2012, "no list works: smtpd refuses to run", {
        "smtpd_relay_restrictions": "permit", "smtpd_recipient_restrictions": "permit"},
     STRANGER),
    (2013, "permit_naked_ip_address, HELO with an IP", {
        "smtpd_relay_restrictions": "",
        "smtpd_recipient_restrictions": "permit_naked_ip_address,reject_unauth_destination"},
     [probe(helo="192.0.2.55")]),
    (2014, "recipient access table", {
        "smtpd_relay_restrictions": "permit_mynetworks,check_recipient_access "
                                    "texthash:{tables}/rcpt,reject_unauth_destination"},
     [probe(), probe(rcpt="user@relay-ok.test")]),
    (2015, "sender access table", {
        "smtpd_relay_restrictions": "check_sender_access texthash:{tables}/sender,"
                                    "reject_unauth_destination"},
     [probe(), probe(sender="boss@trusted.test")]),
    (2016, "client access table", {
        "smtpd_relay_restrictions": "check_client_access texthash:{tables}/client,"
                                    "reject_unauth_destination"},
     [probe(), probe(source="b2")]),
    (2017, "HELO access table", {
        "smtpd_relay_restrictions": "check_helo_access texthash:{tables}/helo,"
                                    "reject_unauth_destination"},
     [probe(), probe(helo="partner.trusted.test")]),
    (2018, "policy service", {
        "smtpd_relay_restrictions": "check_policy_service inet:127.0.0.1:{policy_port},"
                                    "reject_unauth_destination"},
     [probe(), probe(sender="vip@trusted.test")]),
    (2019, "static REJECT first", {
        "smtpd_relay_restrictions": "check_client_access static:REJECT,"
                                    "reject_unauth_destination"}, STRANGER),
    (2020, "RBL check the stranger passes, then a permitting class", {
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions": "reject_rbl_client bl.example,relay_ok,"
                                    "reject_unauth_destination"}, STRANGER),
    (2021, "smtpd_delay_reject=no: client list has no recipient", {
        "smtpd_delay_reject": "no", "smtpd_client_restrictions": "reject_unauth_destination",
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions": "relay_ok,reject_unauth_destination"}, STRANGER),
    (2022, "smtpd_delay_reject=yes: the same client list refuses", {
        "smtpd_client_restrictions": "reject_unauth_destination",
        "smtpd_restriction_classes": "relay_ok", "relay_ok": "permit",
        "smtpd_relay_restrictions": "relay_ok,reject_unauth_destination"}, STRANGER),
    (2023, "permit_auth_destination then reject", {
        "smtpd_relay_restrictions": "permit_auth_destination,reject"}, STRANGER),
    (2024, "a permit in the client list only ends that list", {
        "smtpd_client_restrictions": "check_client_access static:OK",
        "smtpd_relay_restrictions": DEBIAN_RELAY}, STRANGER),
    (0, "an open configuration bound to loopback only", {
        "smtpd_relay_restrictions": "permit",
        "smtpd_recipient_restrictions": "check_client_access static:OK,reject"}, STRANGER),
]

TABLES = {
    "rcpt": "relay-ok.test OK\n",
    "sender": "boss@trusted.test OK\n",
    "client": "{b2} OK\n",
    "helo": "partner.trusted.test OK\n",
}


class RelayTruthTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.pair = pair = NetnsPair("rly")
        # The peer's PTR and the RBL lookups are answered inside namespace a.
        netns_dir = os.path.join("/etc/netns", pair.a)
        os.makedirs(netns_dir, exist_ok=True)
        harness.on_exit(lambda: run(["rm", "-rf", netns_dir], check=False))
        with open(os.path.join(netns_dir, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\n")
        dns = pair.popen(pair.a, [sys.executable, os.path.join(harness.TOOLS, "dns_responder.py"),
                                  "--port", "53", "--outside", "nxdomain", "--ptr"],
                         stdout=subprocess.PIPE, text=True)
        wait_for(lambda: dns.stdout.readline().startswith("ready"), 20, what="dns")
        policy = pair.popen(pair.a, [sys.executable,
                                     os.path.join(harness.TOOLS, "policy_server.py"),
                                     "--ok-sender", "vip@trusted.test"],
                            stdout=subprocess.PIPE, text=True)
        line = wait_for(policy.stdout.readline, 20, what="policy server")
        policy_port = int(line.split()[1])
        cls.pf = pf = PostfixInstance(netns=pair.a)
        tables = os.path.join(pf.dir, "tables")
        os.makedirs(tables)
        for name, text in TABLES.items():
            with open(os.path.join(tables, name), "w") as f:
                f.write(text.format(b2=pair.addr_b2))
        pf.set(inet_interfaces="all", smtpd_relay_restrictions=DEBIAN_RELAY)
        cls.services = {}
        with open(pf.master_cf(), "a") as f:
            for port, name, overrides, _ in CASES:
                service = "%s:%d" % ("127.0.0.1" if port == 0 else pair.addr_a, port or 2099)
                cls.services[name] = service
                f.write("%s inet n - n - - smtpd\n" % service)
                for k, v in overrides.items():
                    # master.cf's { name = value } form: values keep blanks.
                    f.write("  -o { %s = %s }\n" % (k, v.format(
                        tables=tables, policy_port=policy_port)))
        pf.start()
        cls.exporter = Exporter(config="paths:\n  postfix_config_directory: %s\n" % pf.etc,
                                args=["--collector.disable-defaults", "--collector.postfix"],
                                netns=pair.a).start()

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        cls.pf.stop()

    def postfix_truth(self):
        """{case name: (truth, [(code, reply)])} from the real Postfix."""
        sources = {"b": self.pair.addr_b, "b2": self.pair.addr_b2}
        probes, owners = [], []
        for port, name, _, case_probes in CASES:
            for p in case_probes:
                probes.append(dict(p, source=sources[p["source"]],
                                   server="%s:%d" % (self.pair.addr_a, port or 2099)))
                owners.append(name)
        out = self.pair.exec_b([sys.executable, os.path.join(harness.TOOLS, "relay_probe.py"),
                                json.dumps(probes)], timeout=300)
        answers = {}
        for name, result in zip(owners, json.loads(out)):
            answers.setdefault(name, []).append((result["code"], result["reply"]))
        truth = {}
        for name, codes in answers.items():
            relayed = [c == 250 for c, _ in codes]
            truth[name] = ("relayed" if all(relayed) else "refused" if not any(relayed)
                           else "depends", codes)
        return truth

    def exporter_verdicts(self):
        m = self.exporter.scrape()
        out = {}
        for name, service in self.services.items():
            verdicts = [l["verdict"] for l, v in m.find("mailflow_postfix_relay_verdict",
                                                        service=service) if v == 1]
            reasons = [l["reason"] for l, _ in m.find("mailflow_postfix_relay_reason",
                                                      service=service)]
            out[name] = (verdicts[0] if len(verdicts) == 1 else verdicts, reasons)
        return out

    def test_verdict_equals_postfix_answer(self):
        self.assertGreaterEqual(len(CASES), 20)
        truth = self.postfix_truth()
        verdicts = self.exporter_verdicts()
        mismatches = {name: {"postfix": truth[name], "exporter": verdicts[name]}
                      for name in truth if truth[name][0] != verdicts[name][0]}
        self.assertEqual(mismatches, {})
        # Every kind of verdict was exercised against Postfix.
        self.assertEqual({t for t, _ in truth.values()}, {"refused", "relayed", "depends"})
        # And every service has a reason.
        self.assertEqual([n for n, (_, r) in verdicts.items() if len(r) != 1], [])


if __name__ == "__main__":
    unittest.main()
