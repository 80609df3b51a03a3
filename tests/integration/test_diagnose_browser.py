"""The board at / in a real browser: Debian's chromium (headless, over the
DevTools protocol) loads it from the exporter of a real Postfix instance, the
stack of scripts/demo without Prometheus, healthy and then broken.

For each: the board shows the same verdict per step as `mailflow_exporter
diagnose` run against the same instance, every runbook link resolves on the
exporter itself (HTTP 200 and the anchor exists), the page makes no request
to anything but the exporter, has no script and no console error, and does
not overflow a phone's width. Screenshots (desktop, phone, a runbook) are
kept in BUILD_DIR/test-artefacts/diagnose/. The browser runs inside the
stack's network namespace: nothing can leave it.
"""
import json
import os
import sys
import unittest
import urllib.parse

import harness
from stack import BREAKAGES, Stack

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools")
ARTEFACTS = os.path.join(harness.BUILD_DIR, "test-artefacts", "diagnose")


class BoardInBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(monitoring=False)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def browse(self, name):
        out = harness.run(["ip", "netns", "exec", self.stack.pair.a, sys.executable,
                           os.path.join(TOOLS, "browser_check.py"), ARTEFACTS, name,
                           self.stack.exporter.url("/")], timeout=180)
        return json.loads(out)

    def check_board(self, name):
        """Loads the board; asserts what holds for any state; returns
        (browser report, the CLI's Diagnosis of the same instance)."""
        # After a break the running exporter needs a probe round (1 s here)
        # to drop a target the new configuration no longer offers; the CLI,
        # a fresh process, sees the new state at once. Compare once both
        # describe the same state.
        def statuses(doc):
            return [(s["id"], [f["status"] for f in s["findings"]])
                    for s in doc["steps"]]

        def settled():
            cli = self.stack.exporter.diagnose()
            board = self.stack.exporter.board()
            return cli if statuses(cli.doc) == statuses(board.doc) else None
        cli = harness.wait_for(settled, 60, interval=1,
                               what="the board and the CLI to agree")
        b = self.browse(name)
        load, board = b["load"], b["board"]
        self.assertEqual(load["status"], 200)
        # Nothing but the page itself was requested, nothing failed, no
        # console message at all (errors or otherwise).
        self.assertEqual(load["requests"], [self.stack.exporter.url("/")])
        self.assertEqual(load["failed"], [])
        self.assertEqual(load["console"], [], load["console"])
        self.assertEqual((board["scripts"], board["inline_handlers"]), (0, 0))
        self.assertEqual(board["assets"], ["data:,"])  # the favicon, inline
        self.assertEqual(board["lang"], "en")
        self.assertTrue(board["viewport"])
        self.assertEqual(len(board["h1"]), 1)
        self.assertFalse(b["phone_overflow"], "the board is wider than a phone")
        for path in b["screenshots"]:
            self.assertGreater(os.path.getsize(path), 10000, path)
        # Every link stays on the exporter.
        for href in board["links"]:
            self.assertEqual(urllib.parse.urlsplit(href).netloc,
                             self.stack.exporter.address, href)
        # Same steps, same verdicts, same findings as the CLI.
        self.assertEqual([s["id"] for s in board["steps"]],
                         [s["id"] for s in cli.doc["steps"]])
        for step in board["steps"]:
            want = cli.steps[step["id"]]
            self.assertEqual(step["status"], want["status"].upper(), step)
            self.assertEqual([f["status"] for f in step["findings"]],
                             [f["status"].upper() for f in want["findings"]], step)
        self.assertEqual(board["overall"], cli.doc["status"].upper())
        # Every runbook link resolves on the exporter: 200 and its anchor.
        for rb in b["runbooks"]:
            self.assertEqual(rb["status"], 200, rb)
            self.assertTrue(rb["found"], rb)
            self.assertEqual(rb["errors"], [], rb)
            self.assertEqual(len(rb["requests"]), 1, rb)
        return b, cli

    def test_1_healthy(self):
        b, cli = self.check_board("healthy")
        self.assertEqual(cli.problems(), {}, cli)
        self.assertEqual(cli.exit_code, 0, cli)
        self.assertEqual(b["board"]["overall"], "OK")

    def test_2_loopback_only(self):
        brk = BREAKAGES["loopback-only"]
        brk.brk(self.stack.pf)
        try:
            b, cli = self.check_board("loopback-only")
            self.assertEqual(cli.problems(), {"listening": "fail"}, cli)
            self.assertEqual(cli.exit_code, 2)
            listening = [s for s in b["board"]["steps"] if s["id"] == "listening"][0]
            failing = [f for f in listening["findings"] if f["status"] == "FAIL"]
            self.assertEqual(len(failing), 1, listening)
            self.assertIn("inet_interfaces", failing[0]["fix"])
            self.assertTrue(any(r.endswith("/runbooks#postfixlisteningloopbackonly")
                                for r in failing[0]["runbooks"]), failing[0])
            self.assertTrue(b["runbooks"], "no runbook link was followed")
        finally:
            brk.repair(self.stack.pf)


if __name__ == "__main__":
    unittest.main()
