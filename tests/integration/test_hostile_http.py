"""Hostile HTTP clients against the real exporter binary (issue 17, items 1,
2, 4 and 9): slowloris sockets, reload floods, huge scrape timeouts, a stuck
collector at shutdown, wrong-password floods. Every attack comes from
127.0.0.2 and the allowed client scrapes from 127.0.0.1, so that an
allowlist can tell them apart. The assertions are about outcomes (the
allowed client's scrapes succeed, the server closes the attackers, the
process exits), never about how fast: timings go to docs/benchmarks.md
(bench/hostile_http.py).
"""
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

import harness
from harness import Exporter, wait_for
from test_web_config import PASSWORD, auth_header, bcrypt
from netns import NetnsPair
from tools.slowloris import Slowloris

ATTACKER = "127.0.0.2"
SLOWLORIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools",
                         "slowloris.py")


def readme_nft():
    """The per-source limit recipe from README.md, as documented."""
    with open(os.path.join(harness.SOURCE_DIR, "README.md")) as f:
        text = f.read()
    return re.search(r"```\n(table inet mailflow \{.*?\n\})\n```", text, re.S).group(1) + "\n"


README_NFT = readme_nft()


def request(exporter, path="/metrics", method="GET", headers=None, source="127.0.0.1",
            timeout=15):
    """(status, headers dict, body) of one request from `source`; status 0
    when the connection fails or times out."""
    host, port = exporter.address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=b"" if method == "POST" else None,
                     headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    except OSError as e:
        return 0, {}, str(e).encode()
    finally:
        conn.close()


def slow_command(dir_, seconds):
    """A stand-in for nft that hangs: records its pid, then sleeps. The
    sleeping process is killed at exit whatever happened to the exporter."""
    marker = os.path.join(dir_, "slow.pid")
    path = os.path.join(dir_, "slow-nft")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho $$ > %s\nexec sleep %d\n" % (marker, seconds))
    os.chmod(path, 0o755)

    def kill_it():
        try:
            with open(marker) as f:
                os.kill(int(f.read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    harness.on_exit(kill_it)
    return path, marker


class SlowlorisTest(unittest.TestCase):
    def test_a_thousand_hostile_connections_outside_the_allowlist(self):
        e = Exporter(args=["--collector.disable-defaults", "--collector.postfix",
                           "--web.allowed-networks=127.0.0.1/32",
                           "--web.read-timeout=1s"]).start()
        self.addCleanup(e.stop)
        host, port = e.address.split(":")
        attacks = [Slowloris(host, int(port), 500, mode, ATTACKER).start()
                   for mode in ("trickle", "idle")]
        try:
            for a in attacks:
                self.assertTrue(a.wait_open(30), a.stats())
            for _ in range(10):
                status, _, body = request(e)
                self.assertEqual(status, 200, body[:300])
                self.assertIn(b"mailflow_exporter_build_info", body)
                self.assertEqual(request(e, "/-/healthy")[0], 200)
            # The attackers are disconnected at accept(), again and again.
            for a in attacks:
                wait_for(lambda: a.closed_by_server >= 500, 30,
                         what="the attackers to be disconnected: %r" % a.stats())
        finally:
            for a in attacks:
                a.stop()
        self.assertIsNone(e.proc.poll())

    def test_half_open_connections_from_an_allowed_address(self):
        # The reproducer (8 partial requests) four times over, with
        # no allowlist: 64 workers, and each partial request is dropped at
        # the read timeout.
        e = Exporter(args=["--collector.disable-defaults", "--collector.postfix",
                           "--web.read-timeout=1s"]).start()
        self.addCleanup(e.stop)
        host, port = e.address.split(":")
        attack = Slowloris(host, int(port), 32, "partial", ATTACKER).start()
        try:
            self.assertTrue(attack.wait_open(30), attack.stats())
            for _ in range(5):
                self.assertEqual(request(e)[0], 200)
                self.assertEqual(request(e, "/-/healthy")[0], 200)
            wait_for(lambda: attack.closed_by_server >= 32, 30,
                     what="partial requests to time out: %r" % attack.stats())
        finally:
            attack.stop()

    def test_per_source_limit_in_the_firewall(self):
        # Inside the allowed networks civetweb cannot tell a hostile client
        # from Prometheus: README's nftables recipe (a per-source connection
        # limit) is what keeps 1,000 trickling connections from one host
        # from taking the 64 workers. Exporter in namespace A, attacker and
        # scraper in B with two source addresses.
        net = NetnsPair("slr")
        port = 10029
        rule = README_NFT.replace("10029", str(port))
        net.exec_a(["nft", "-f", "-"], input=rule)
        e = Exporter(netns=net.a, args=["--collector.disable-defaults",
                                        "--collector.postfix",
                                        "--web.listen-address=%s:%d" % (net.addr_a, port),
                                        "--web.read-timeout=5s"])
        e.start()
        self.addCleanup(e.stop)
        attack = net.popen(net.b, [sys.executable, SLOWLORIS, net.addr_a, str(port),
                                   "1000", "trickle", "60", net.addr_b],
                           stdout=subprocess.DEVNULL)
        time.sleep(5)  # the attacker has opened and is holding its connections
        for _ in range(5):
            out = net.exec_b(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                              "--max-time", "20", "--interface", net.addr_b2,
                              "http://%s:%d/metrics" % (net.addr_a, port)], check=False)
            self.assertEqual(out, "200")
        self.assertIsNone(attack.poll())  # still attacking
        attack.kill()

    def test_allowlist_is_validated(self):
        p = subprocess.run([harness.EXPORTER, "--web.allowed-networks=::1/128",
                            "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn('--web.allowed-networks: "::1/128" is not an IPv4 network', p.stderr)


class LifecycleTest(unittest.TestCase):
    def test_reload_is_opt_in(self):
        e = Exporter(args=["--collector.disable-defaults"]).start()
        self.addCleanup(e.stop)
        status, _, body = request(e, "/-/reload", "POST")
        self.assertEqual((status, body), (403, b"Lifecycle API is not enabled.\n"))
        self.assertNotIn("configuration reloaded", e.log())

    def test_a_reload_flood_is_rate_limited(self):
        e = Exporter(args=["--collector.disable-defaults", "--collector.postfix",
                           "--web.enable-lifecycle"]).start()
        self.addCleanup(e.stop)
        codes = []
        lock = threading.Lock()
        end = time.monotonic() + 3

        def flood():
            while time.monotonic() < end:
                status, headers, _ = request(e, "/-/reload", "POST", source=ATTACKER)
                with lock:
                    codes.append((status, headers.get("Retry-After")))
        threads = [threading.Thread(target=flood) for _ in range(4)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.monotonic() - start
        ok = sum(1 for c, _ in codes if c == 200)
        limited = [r for c, r in codes if c == 429]
        self.assertGreaterEqual(ok, 1, codes)
        # At most one reload per second (the first one at once).
        self.assertLessEqual(ok, int(elapsed) + 1, codes)
        self.assertEqual(ok + len(limited), len(codes), codes)
        self.assertGreater(len(limited), 0)
        self.assertTrue(all(r is not None and int(r) >= 1 for r in limited), limited)
        self.assertEqual(e.log().count("configuration reloaded from"), ok)


class ScrapeTimeoutTest(unittest.TestCase):
    def slow_firewall(self, max_timeout):
        d = harness.tmpdir()
        nft, marker = slow_command(d, 40)
        config = ("scrape:\n  max_timeout: %s\n"
                  "collectors:\n  firewall:\n    nft_path: %s\n"
                  "    command_timeout: 40s\n" % (max_timeout, nft))
        e = Exporter(config=config, args=["--collector.disable-defaults",
                                          "--collector.firewall"]).start()
        self.addCleanup(e.stop)
        return e, marker

    def test_a_huge_timeout_header_is_capped(self):
        e, _ = self.slow_firewall("2s")
        # 86399 s was accepted before: the request held its worker as long as
        # the command ran. Capped to 2s, the scrape comes back (well within
        # the client's 20 s), reporting the firewall collector as failed.
        status, _, body = request(
            e, headers={"X-Prometheus-Scrape-Timeout-Seconds": "86399"}, timeout=20)
        self.assertEqual(status, 200, body[:300])
        m = harness.Metrics(body.decode())
        self.assertEqual(m.get("mailflow_collector_success", collector="firewall"), 0)

    def test_sigterm_exits_while_a_collector_is_busy(self):
        e, marker = self.slow_firewall("1m")
        result = {}
        scrape = threading.Thread(target=lambda: result.update(r=request(
            e, headers={"X-Prometheus-Scrape-Timeout-Seconds": "60"}, timeout=90)))
        scrape.start()
        wait_for(lambda: os.path.exists(marker), 20, what="the slow command to start")
        e.proc.send_signal(signal.SIGTERM)
        # Without the shutdown bound the process waits for the scrape (40 s).
        e.proc.wait(20)
        self.assertEqual(e.proc.returncode, 0, e.log())
        self.assertIn("shutting down", e.log())
        scrape.join(30)


class WrongPasswordFloodTest(unittest.TestCase):
    def test_a_flood_is_throttled_and_others_still_log_in(self):
        e = Exporter(web_config="basic_auth_users:\n  alice: '%s'\n" % bcrypt("alice", PASSWORD),
                     args=["--collector.disable-defaults"]).start()
        self.addCleanup(e.stop)
        wrong = {"Authorization": auth_header("alice", "guess")}
        right = {"Authorization": auth_header("alice", PASSWORD)}
        codes = []
        stop = threading.Event()

        def flood():
            while not stop.is_set():
                codes.append(request(e, "/metrics", headers=wrong, source=ATTACKER)[0])
        threads = [threading.Thread(target=flood) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: codes.count(429) >= 20, 60, what="the flood to be throttled")
            # The legitimate client's first login (a bcrypt verification, no
            # cached success yet) and later ones go through during the flood.
            for _ in range(5):
                status, _, body = request(e, "/metrics", headers=right)
                self.assertEqual(status, 200, body[:200])
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        # Only the first failures cost a bcrypt verification (401); every
        # later attempt from the flooding address is refused without one.
        self.assertEqual(codes.count(401), 10, codes[:40])
        self.assertEqual(codes.count(401) + codes.count(429), len(codes))
        status, headers, _ = request(e, "/metrics", headers=right, source=ATTACKER)
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)


if __name__ == "__main__":
    unittest.main()
