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
        p = subprocess.run([sys.executable, demo, "--break", "smtp-disabled"],
                           capture_output=True, text=True, timeout=400)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("mailflow_exporter diagnose (its failing steps)", p.stdout)
        self.assertIn(" 4. FAIL     The master.cf SMTP services are enabled", p.stdout)
        self.assertIn("fix:      uncomment line", p.stdout)
        self.assertIn("(exit status 2)", p.stdout)
        self.assertIn("the page that arrived", p.stdout)
        self.assertIn("to pager: PostfixSMTPServiceDisabled [critical]", p.stdout)
        self.assertIn("runbooks.md#postfixsmtpservicedisabled", p.stdout)
        self.assertIn("resolved notification received", p.stdout)
        after = set(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                   text=True).stdout.split())
        self.assertEqual({n for n in after - before if n.startswith("mf")}, set())


if __name__ == "__main__":
    unittest.main()
