"""The benchmark's synthetic spool writer produces files real Postfix accepts.

2,000 messages are written by bench/queue_scan_bench into the spool of a
private Postfix instance; then `postfix start` (whose postsuper checks every
queue file name against its inode), `postqueue -j` (showq reads every file and
defer log) and `postcat` must read them as Postfix's own, and the exporter's
figures must equal postqueue's.
"""
import collections
import json
import os
import time
import unittest

from harness import BUILD_DIR, Exporter, PostfixInstance, run

TOOL = os.path.join(BUILD_DIR, "bench", "queue_scan_bench")
N = 2000


@unittest.skipUnless(os.access(TOOL, os.X_OK), "bench/queue_scan_bench not built")
class SyntheticSpoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pf = PostfixInstance()
        cls.pf.set(defer_transports="smtp")
        uid = int(run(["id", "-u", "postfix"]).strip())
        gid = int(run(["id", "-g", "postfix"]).strip())
        out = run([TOOL, "write", cls.pf.spool, str(N), str(uid), str(gid)], timeout=600)
        assert "wrote %d messages" % N in out, out
        cls.pf.start()
        cls.pq = [json.loads(l) for l in
                  run(["postqueue", "-c", cls.pf.etc, "-j"], timeout=300).splitlines()
                  if l.strip()]

    def test_postqueue_reads_every_file(self):
        self.assertEqual(len(self.pq), N)
        self.assertTrue(all(x["queue_name"] == "deferred" for x in self.pq))
        now = time.time()
        for x in self.pq:
            self.assertEqual(x["sender"], "sender@example.net")
            self.assertEqual(len(x["recipients"]), 1)
            r = x["recipients"][0]
            self.assertRegex(r["address"], r"^user\d+@dest\d+\.example$")
            self.assertTrue(r["delay_reason"])
            self.assertGreater(x["message_size"], 512)
            self.assertLess(now - x["arrival_time"], 100000 + 600)

    def test_postcat_reads_records(self):
        for x in self.pq[:5]:
            out = run(["postcat", "-c", self.pf.etc, "-q", x["queue_id"]])
            self.assertIn("*** ENVELOPE RECORDS", out)
            self.assertIn("recipient: " + x["recipients"][0]["address"], out)
            self.assertIn("*** MESSAGE CONTENTS", out)
            self.assertIn("*** HEADER EXTRACTED", out)
            self.assertIn("*** MESSAGE FILE END", out)
            self.assertNotIn("warning", out.lower())

    def test_exporter_matches_postqueue(self):
        with Exporter(args=["--collector.disable-defaults", "--collector.queue"],
                      config="paths:\n  postfix_config_directory: %s\n" % self.pf.etc) as ex:
            m = ex.scrape(timeout_header=120)
            now = time.time()
            self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 1)
            self.assertEqual(m.get("mailflow_queue_messages", queue="deferred"), N)
            want_oldest = max(now - x["arrival_time"] for x in self.pq)
            got = m.get("mailflow_queue_oldest_message_age_seconds", queue="deferred")
            self.assertLessEqual(abs(got - want_oldest), 3)
            # Reasons: the tool cycles refused / timed out / DNS / greylisted.
            texts = collections.Counter(x["recipients"][0]["delay_reason"] for x in self.pq)
            self.assertEqual(len(texts), 4)
            for cls in ("connection_refused", "connection_timed_out", "host_not_found",
                        "greylisted"):
                self.assertEqual(m.get("mailflow_queue_deferred_recipients", reason=cls),
                                 N // 4, cls)
            doms = collections.Counter(x["recipients"][0]["address"].split("@")[1]
                                       for x in self.pq)
            top = sorted(doms.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            for d, n in top:
                self.assertEqual(
                    m.get("mailflow_queue_deferred_domain_recipients", domain=d), n, d)


if __name__ == "__main__":
    unittest.main()
