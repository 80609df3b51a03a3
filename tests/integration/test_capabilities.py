"""The exporter's capability set-up (exporter/capabilities.cc) on the real
binary, outside any container: started as user nobody with more capabilities
than it uses (as a too-generous unit or setpriv line would give), it keeps
only CAP_DAC_READ_SEARCH and CAP_NET_ADMIN, effective and ambient (for the
nft it runs), and says so; started with none, it says what is missing.
"""
import os
import unittest

import harness
from harness import Exporter

CAP_DAC_READ_SEARCH, CAP_NET_ADMIN, CAP_NET_RAW = 2, 12, 13


def caps(pid):
    with open("/proc/%d/status" % pid) as f:
        fields = dict(l.split(":", 1) for l in f if ":" in l)
    return {k: int(fields[k].strip(), 16) for k in ("CapPrm", "CapEff", "CapInh", "CapAmb")}


def start(granted):
    work = harness.tmpdir("mailflow-caps-")
    os.chmod(work, 0o755)
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
              "--inh-caps=-all" + "".join(",+" + c for c in granted)]
    if granted:
        prefix.append("--ambient-caps=" + ",".join("+" + c for c in granted))
    return Exporter(prefix=prefix, workdir=work,
                    args=["--collector.disable-defaults", "--collector.listen"]).start()


class CapabilitiesTest(unittest.TestCase):
    def test_keeps_only_what_the_collectors_use(self):
        e = start(["dac_read_search", "net_admin", "net_raw"])
        want = (1 << CAP_DAC_READ_SEARCH) | (1 << CAP_NET_ADMIN)
        self.assertEqual(caps(e.proc.pid), {"CapPrm": want, "CapEff": want, "CapInh": want,
                                            "CapAmb": want})
        self.assertIn("capabilities held: CAP_DAC_READ_SEARCH (queue: read the spool; log: "
                      "read mail.log and the journal), CAP_NET_ADMIN (firewall: read the "
                      "nftables ruleset); missing: CAP_SYS_PTRACE", e.log())
        e.stop()

    def test_none_granted(self):
        e = start([])
        self.assertEqual(caps(e.proc.pid)["CapEff"], 0)
        self.assertIn("capabilities held: none; missing: CAP_DAC_READ_SEARCH", e.log())
        e.stop()


if __name__ == "__main__":
    unittest.main()
