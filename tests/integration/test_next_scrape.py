"""Cached state never hides a change: the real exporter (firewall, listen and
postfix collectors) inside a private network namespace; between two scrapes
the test changes the kernel's ruleset (a rule, a set element, an
iptables-legacy rule), opens or closes a listening socket, or edits
main.cf/master.cf, and the very next scrape shows the new value.

The same scrapes check the other half of issue 14: nothing is re-read when
nothing changed (mailflow_firewall_ruleset_reads_total stays put between two
scrapes without a change, and when only packet counters moved).
"""
import ctypes
import os
import subprocess
import sys
import textwrap
import unittest

import harness
from harness import on_exit, run

# A listener that names itself (prctl PR_SET_NAME, so /proc/PID/comm is
# NAME), binds ADDRESS:PORT, says "ready" and waits for stdin to close.
LISTENER = textwrap.dedent("""
    import ctypes, socket, sys
    ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3])))
    s.listen(1)
    print("ready", flush=True)
    sys.stdin.read()
""")


class NextScrapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.netns = "mfnext%d" % os.getpid()
        on_exit(lambda: subprocess.run(["ip", "netns", "del", cls.netns],
                                       stderr=subprocess.DEVNULL))
        run(["ip", "netns", "add", cls.netns])
        run(["ip", "-n", cls.netns, "link", "set", "lo", "up"])
        cls.pf = harness.PostfixInstance(netns=cls.netns)
        cls.pf.set(mynetworks="10.0.0.0/8")
        config = ("smtp_ports: [25, 587, 2525]\n"
                  "paths:\n  postfix_config_directory: %s\n"
                  "collectors:\n  postfix:\n    role: mx\n" % cls.pf.etc)
        cls.exporter = harness.Exporter(
            netns=cls.netns, config=config,
            args=["--collector.disable-defaults", "--collector.firewall",
                  "--collector.listen", "--collector.postfix"]).start()

    def ns(self, cmd, **kw):
        return run(["ip", "netns", "exec", self.netns] + cmd, **kw)

    def scrape(self):
        m = self.exporter.scrape()
        for c in ("firewall", "listen", "postfix"):
            self.assertEqual(m.get("mailflow_collector_success", collector=c), 1,
                             (c, self.exporter.log()[-3000:]))
        return m

    @staticmethod
    def verdict(m, backend, port):
        on = [l["verdict"] for l, v in m.find("mailflow_firewall_inbound_verdict",
                                              backend=backend, port=str(port)) if v == 1]
        return on[0] if len(on) == 1 else on

    @staticmethod
    def reads(m, backend="nftables"):
        return m.get("mailflow_firewall_ruleset_reads_total", backend=backend)

    def test_firewall_change_shows_on_the_next_scrape(self):
        self.addCleanup(self.ns, ["nft", "flush", "ruleset"])
        m = self.scrape()
        self.assertEqual(self.verdict(m, "nftables", 25), "accept")
        reads = self.reads(m)
        m = self.scrape()  # nothing changed: the evaluated verdicts are reused
        self.assertEqual(self.reads(m), reads)

        self.ns(["nft", "-f", "-"], input="""table inet t {
          set ports { type inet_service; }
          chain input { type filter hook input priority 0; policy accept;
            tcp dport @ports drop
            tcp dport 25 drop
          }
        }""")
        m = self.scrape()
        self.assertEqual(self.verdict(m, "nftables", 25), "drop")
        self.assertEqual(self.verdict(m, "nftables", 587), "accept")
        self.assertEqual(self.reads(m), reads + 1)
        m = self.scrape()
        self.assertEqual(self.reads(m), reads + 1)

        # One rule inserted before the drop.
        self.ns(["nft", "insert", "rule", "inet", "t", "input", "tcp", "dport", "25", "accept"])
        m = self.scrape()
        self.assertEqual(self.verdict(m, "nftables", 25), "accept")
        self.assertEqual(self.reads(m), reads + 2)

        # Only a set element: no rule changed.
        self.ns(["nft", "add", "element", "inet", "t", "ports", "{ 587 }"])
        m = self.scrape()
        self.assertEqual(self.verdict(m, "nftables", 587), "drop")
        self.assertEqual(self.reads(m), reads + 3)

    def test_legacy_rule_shows_on_the_next_scrape_and_counters_do_not(self):
        def legacy(*args):
            return self.ns(["iptables-legacy"] + list(args))
        self.addCleanup(lambda: (legacy("-F", "INPUT")))
        m = self.scrape()
        legacy_reads = self.reads(m, "iptables_legacy")
        legacy("-A", "INPUT", "-p", "tcp", "--dport", "2525", "-j", "REJECT",
               "--reject-with", "tcp-reset")
        m = self.scrape()
        self.assertEqual(self.verdict(m, "iptables_legacy", 2525), "reject")
        self.assertEqual(self.verdict(m, "iptables_legacy", 25), "accept")
        legacy_reads = self.reads(m, "iptables_legacy")
        nft_reads = self.reads(m)

        # Packets hit the rule: its counters move, the rules do not.
        self.ns([sys.executable, "-c", "import socket\ntry:\n socket.create_connection("
                 "('127.0.0.1', 2525), 5)\nexcept ConnectionRefusedError:\n pass"])
        counters = legacy("-L", "INPUT", "-v", "-n", "-x")
        self.assertRegex(counters, r"\n\s*[1-9]\d*\s+\d+\s+REJECT", counters)
        m = self.scrape()
        self.assertEqual(self.reads(m, "iptables_legacy"), legacy_reads)
        self.assertEqual(self.reads(m), nft_reads)

        legacy("-D", "INPUT", "-p", "tcp", "--dport", "2525", "-j", "REJECT",
               "--reject-with", "tcp-reset")
        m = self.scrape()
        self.assertEqual(self.reads(m, "iptables_legacy"), legacy_reads + 1)
        self.assertEqual(m.find("mailflow_firewall_inbound_verdict",
                                backend="iptables_legacy", port="2525"), [])

    def listener(self, name, address, port):
        p = harness.start_process(
            ["ip", "netns", "exec", self.netns, sys.executable, "-c", LISTENER,
             name, address, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return p

    def sockets(self, m, port):
        return sorted((l["address"], l["owner"])
                      for l, v in m.find("mailflow_listen_socket", port=str(port)) if v == 1)

    def test_listener_shows_on_the_next_scrape(self):
        m = self.scrape()
        self.assertEqual(m.get("mailflow_listen_port_listening", port="2525"), 0)
        first = self.listener("mfnext-one", "127.0.0.1", 2525)
        m = self.scrape()
        self.assertEqual(m.get("mailflow_listen_port_listening", port="2525"), 1)
        self.assertEqual(self.sockets(m, 2525), [("127.0.0.1", "mfnext-one")])

        # A second socket on the port, another owner: its inode is new.
        second = self.listener("mfnext-two", "127.0.0.2", 2525)
        m = self.scrape()
        self.assertEqual(self.sockets(m, 2525), [("127.0.0.1", "mfnext-one"),
                                                 ("127.0.0.2", "mfnext-two")])
        first.stdin.close()
        first.wait(10)
        m = self.scrape()
        self.assertEqual(self.sockets(m, 2525), [("127.0.0.2", "mfnext-two")])
        second.stdin.close()
        second.wait(10)
        m = self.scrape()
        self.assertEqual(m.get("mailflow_listen_port_listening", port="2525"), 0)

    def test_main_cf_edit_shows_on_the_next_scrape(self):
        main_cf = os.path.join(self.pf.etc, "main.cf")
        old = os.stat(main_cf)
        # Old enough that the snapshot is not re-read because it is recent.
        os.utime(main_cf, ns=(old.st_atime_ns, old.st_mtime_ns - 3600 * 10**9))
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_mynetworks_public_addresses"), 0)
        self.assertEqual(self.scrape().get("mailflow_postfix_mynetworks_public_addresses"), 0)

        # Same size, same inode, mtime put back: only ctime tells.
        before = os.stat(main_cf)
        with open(main_cf, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace("mynetworks = 10.0.0.0/8", "mynetworks = 11.0.0.0/8"))
        os.utime(main_cf, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(main_cf)
        self.assertEqual((after.st_size, after.st_mtime_ns, after.st_ino),
                         (before.st_size, before.st_mtime_ns, before.st_ino))
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_mynetworks_public_addresses"), 1)
        self.assertEqual(m.get("mailflow_postfix_mynetworks_public_entries", size="wide"), 1)

        # master.cf: a new service on a watched port.
        self.pf.set_smtp_service("127.0.0.1:2525")
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_service_enabled", service="127.0.0.1:2525",
                               port="2525"), 1)
        self.pf.set(mynetworks="10.0.0.0/8")
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_mynetworks_public_addresses"), 0)


if __name__ == "__main__":
    unittest.main()
