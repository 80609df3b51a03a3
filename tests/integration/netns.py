"""Network namespaces for tests: two hosts joined by a veth pair.

Addresses exist only inside the namespaces the test creates (never on the
host), names are unique per process, and everything is deleted at exit.
"""
import itertools
import os
import subprocess

from harness import on_exit, run, start_process

_counter = itertools.count()


class NetnsPair:
    """Namespace `a` (the host under test) and `b` (its peer), joined by a
    veth pair on 10.<net>.0.0/24: a = 10.<net>.0.1, b = 10.<net>.0.2 and
    10.<net>.0.3 (a second source address for saddr rules)."""

    def __init__(self, tag="t"):
        n = next(_counter)
        base = "mf%s%d%d" % (tag[:3], os.getpid() % 10000, n)
        self.a, self.b = base + "a", base + "b"
        net = 200 + (os.getpid() + n) % 50
        self.addr_a = "10.%d.0.1" % net
        self.addr_b = "10.%d.0.2" % net
        self.addr_b2 = "10.%d.0.3" % net
        on_exit(self.delete)
        run(["ip", "netns", "add", self.a])
        run(["ip", "netns", "add", self.b])
        va, vb = "v" + self.a[-12:], "v" + self.b[-12:]
        run(["ip", "link", "add", va[:15], "netns", self.a, "type", "veth",
             "peer", "name", vb[:15], "netns", self.b])
        run(["ip", "-n", self.a, "addr", "add", self.addr_a + "/24", "dev", va[:15]])
        run(["ip", "-n", self.b, "addr", "add", self.addr_b + "/24", "dev", vb[:15]])
        run(["ip", "-n", self.b, "addr", "add", self.addr_b2 + "/24", "dev", vb[:15]])
        for ns, dev in ((self.a, va[:15]), (self.b, vb[:15])):
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def exec_a(self, cmd, **kw):
        return run(["ip", "netns", "exec", self.a] + cmd, **kw)

    def exec_b(self, cmd, **kw):
        return run(["ip", "netns", "exec", self.b] + cmd, **kw)

    def popen(self, ns, cmd, **kw):
        """Starts a long-running process inside namespace `ns`; killed at exit."""
        return start_process(["ip", "netns", "exec", ns] + cmd, **kw)

    def delete(self):
        for ns in (self.a, self.b):
            pids = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True).stdout.split()
            for pid in pids:
                subprocess.run(["kill", "-9", pid], stderr=subprocess.DEVNULL)
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
