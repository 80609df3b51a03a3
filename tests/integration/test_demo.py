"""scripts/demo's driver runs end to end in one breakage mode and tears down
everything it started (processes and its network namespaces)."""
import os
import subprocess
import sys
import unittest

import harness


class DemoTest(unittest.TestCase):
    def test_demo_smtp_disabled(self):
        before = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                    text=True).stdout.split())
        demo = os.path.join(harness.SOURCE_DIR, "scripts", "demo.py")
        p = subprocess.Popen([sys.executable, demo, "--break", "smtp-disabled"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            out, err = p.communicate(timeout=400)
        finally:
            p.kill()
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("mailflow_exporter diagnose (its failing steps)", out)
        self.assertIn(" 4. FAIL     The master.cf SMTP services are enabled", out)
        self.assertIn("fix:      uncomment line", out)
        self.assertIn("(exit status 2)", out)
        self.assertIn("the page that arrived", out)
        self.assertIn("to pager: PostfixSMTPServiceDisabled [critical]", out)
        self.assertIn("runbooks.md#postfixsmtpservicedisabled", out)
        self.assertIn("resolved notification received", out)
        after = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                   text=True).stdout.split())
        # Other suites (test_alertmanager_chain uses the same stack) run in
        # parallel under ctest: only the demo's own namespaces, named after
        # its pid by netns.NetnsPair, must be gone.
        own = "mfstk%d" % (p.pid % 10000)
        self.assertEqual({n for n in after - before if n.startswith(own)}, set())


if __name__ == "__main__":
    unittest.main()
