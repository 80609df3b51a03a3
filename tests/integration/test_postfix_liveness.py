"""Postfix in another pid namespace (a container beside the exporter).

A real Postfix master runs in a pid namespace of its own (unshare --pid
--mount-proc): its pid file names its pid in that namespace, which on the
host is some other process or none. The exporter on the host decides by the
lock the master holds on its pid file: up. An exporter in a sibling pid
namespace sees neither the process nor (on kernels that filter /proc/locks
by pid namespace) the lock: unknown, never down, and mailflow_postfix_up is
absent so that PostfixDown neither fires nor inhibits. Once the master is
gone, the host's exporter says down (nobody holds the lock).
"""
import os
import subprocess
import unittest

import harness
from harness import Exporter, PostfixInstance, start_process, wait_for


def liveness(m):
    """(state, method) of the series with value 1."""
    on = [(l["state"], l["method"]) for l, v in m.find("mailflow_postfix_liveness") if v == 1]
    assert len(on) == 1, on
    return on[0]


class PostfixLivenessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pf = PostfixInstance()
        # The master in its own pid namespace; `sleep` stays its init, and
        # --kill-child ends the namespace (and the master) with unshare.
        cls.ns = start_process(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child",
                                "sh", "-c", "postfix -c %s start && exec sleep 600" % cls.pf.etc],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.pid_file = os.path.join(cls.pf.spool, "pid", "master.pid")
        wait_for(lambda: os.path.exists(cls.pid_file) and cls.pf.listening(), 20,
                 what="master in its pid namespace")
        config = "paths:\n  postfix_config_directory: %s\n" % cls.pf.etc
        args = ["--collector.disable-defaults", "--collector.postfix"]
        cls.host = Exporter(config=config, args=args).start()
        # The same exporter in a sibling pid namespace with its own /proc.
        cls.sibling = Exporter(config=config, args=args, prefix=[
            "unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.host.stop()
        cls.sibling.stop()
        harness.terminate(cls.ns)

    def test_1_master_in_another_pid_namespace(self):
        with open(self.pid_file) as f:
            pid = int(f.read())
        comm = "/proc/%d/comm" % pid
        # The pid means something else (or nothing) on the host.
        self.assertFalse(os.path.exists(comm) and open(comm).read().strip() == "master")
        m = self.host.scrape()
        self.assertEqual(liveness(m), ("up", "lock"))
        self.assertEqual(m.get("mailflow_postfix_up"), 1)
        # A kernel that filters /proc/locks by pid namespace (Linux >= 4.20)
        # hides the lock from the sibling: unknown. An older one shows it: up.
        m = self.sibling.scrape()
        state = liveness(m)
        self.assertIn(state, {("unknown", "none"), ("up", "lock")})
        if state[0] == "unknown":
            self.assertIsNone(m.get("mailflow_postfix_up"))
            self.assertIn("nested pid namespace", self.sibling.log())

    def test_2_master_gone(self):
        harness.terminate(self.ns)
        wait_for(lambda: not self.pf.listening(), 20, what="the namespace's master to end")
        self.assertTrue(os.path.exists(self.pid_file))  # stale, nobody holds its lock
        m = self.host.scrape()
        self.assertEqual(liveness(m), ("down", "lock"))
        self.assertEqual(m.get("mailflow_postfix_up"), 0)
        # The sibling cannot tell a dead master from one it cannot see.
        m = self.sibling.scrape()
        self.assertEqual(liveness(m), ("unknown", "none"))
        self.assertIsNone(m.get("mailflow_postfix_up"))


if __name__ == "__main__":
    unittest.main()
