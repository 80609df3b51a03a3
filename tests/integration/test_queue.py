"""The queue collector against a real Postfix queue.

A private Postfix instance runs inside a test network namespace and defers
mail three ways:
  refused.test  -> relayhost [127.0.0.1]:<closed port>  "Connection refused"
  timeout.test  -> [peer]:25 where the peer namespace drops SYN
                   ("Connection timed out", smtp_connect_timeout = 2s)
  nx.test       -> an unresolvable next hop (the namespace's resolv.conf names
                   127.0.0.1, where nothing answers) "Host or domain name not
                   found"
The exporter's figures must equal what `postqueue -j` reports for the same
instance at the same moment. Nothing leaves the namespaces.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import time
import unittest

import harness
from harness import Diagnosis, Exporter, PostfixInstance, run, wait_for
from netns import NetnsPair

# What each deferral looks like in `postqueue -j` (delay_reason).
REASON_TEXT = {
    "connection_refused": ["Connection refused"],
    "connection_timed_out": ["Connection timed out"],
    # Native lookups (smtp_dns_support_level = disabled) fail this way.
    "host_not_found": ["Host or domain name not found", "unable to look up host"],
}


def expected_class(reason):
    for cls, texts in REASON_TEXT.items():
        if any(t in reason for t in texts):
            return cls
    return "other"


def queue_files(spool, queue):
    n = 0
    for _, _, files in os.walk(os.path.join(spool, queue)):
        n += len(files)
    return n


class QueueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.net = NetnsPair("qu")
        # The peer drops SYNs to port 25: connects time out.
        nft = subprocess.run(
            ["ip", "netns", "exec", cls.net.b, "nft", "-f", "-"],
            input="table inet t {\n chain input {\n  type filter hook input "
                  "priority 0; policy accept;\n  tcp dport 25 drop\n }\n}\n",
            text=True, capture_output=True, timeout=30)
        assert nft.returncode == 0, nft.stderr
        # `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc: the
        # instance's resolver is 127.0.0.1 inside its namespace (nothing
        # listens there), never the host's resolver.
        cls.netns_etc = "/etc/netns/" + cls.net.a
        os.makedirs(cls.netns_etc, exist_ok=True)
        harness.on_exit(lambda: shutil.rmtree(cls.netns_etc, ignore_errors=True))
        with open(os.path.join(cls.netns_etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        with open(os.path.join(cls.netns_etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n")

        cls.pf = PostfixInstance()
        cls.pf.set(transport_maps="texthash:" + os.path.join(cls.pf.etc, "transport"))
        with open(os.path.join(cls.pf.etc, "transport"), "w") as f:
            f.write("timeout.test smtp:[%s]:25\n" % cls.net.addr_b)
            f.write("nx.test smtp:nx-host.invalid:25\n")
        run(["ip", "netns", "exec", cls.net.a, "postfix", "-c", cls.pf.etc, "start"])
        cls.pf.running = True
        wait_for(lambda: os.path.exists(os.path.join(cls.pf.spool, "public", "pickup")),
                 15, what="postfix pickup")

        def send(rcpts, sender="sender@mailflow-ci.test"):
            subprocess.run(["sendmail", "-C", cls.pf.etc, "-f", sender] + rcpts,
                           input="Subject: queue test\n\nhello\n", text=True,
                           check=True, timeout=30)
        for i in range(5):
            send(["user%d@refused.test" % i])
        for i in range(3):
            send(["user%d@timeout.test" % i])
        for i in range(2):
            send(["a%d@nx.test" % i, "b%d@nx.test" % i])
        cls.expected_messages = 10

        spool = cls.pf.spool

        def settled():
            busy = sum(queue_files(spool, q) for q in ("maildrop", "incoming", "active"))
            return (busy == 0 and queue_files(spool, "deferred") == cls.expected_messages
                    and queue_files(spool, "defer") == cls.expected_messages)
        wait_for(settled, 90, interval=0.5, what="all mail deferred with defer logs")

        # One message on hold, a junk file in the corrupt queue.
        first = json.loads(run(["postqueue", "-c", cls.pf.etc, "-j"]).splitlines()[0])
        run(["postsuper", "-c", cls.pf.etc, "-h", first["queue_id"]])
        os.makedirs(os.path.join(spool, "corrupt"), exist_ok=True)
        junk = os.path.join(spool, "corrupt", "JUNK0000001")
        with open(junk, "wb") as f:
            f.write(b"T\x85")
        os.chmod(junk, 0o700)

        cls.exporter = Exporter(
            args=["--collector.disable-defaults", "--collector.queue"],
            config="paths:\n  postfix_config_directory: %s\n"
                   "collectors:\n  queue:\n    top_domains: 2\n" % cls.pf.etc).start()

    def snapshot(self):
        m = self.exporter.scrape()
        now = time.time()
        pq = [json.loads(l) for l in
              run(["postqueue", "-c", self.pf.etc, "-j"]).splitlines() if l.strip()]
        return m, pq, now

    def test_matches_postqueue(self):
        m, pq, now = self.snapshot()
        self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 1.0,
                         self.exporter.log())
        by_queue = collections.Counter(x["queue_name"] for x in pq)
        self.assertEqual(by_queue["deferred"], 9)
        self.assertEqual(by_queue["hold"], 1)
        for q in ("maildrop", "incoming", "active", "deferred", "hold"):
            self.assertEqual(m.get("mailflow_queue_messages", queue=q), by_queue[q], q)
        # Ages from the arrival record, within the second between the reads.
        for q in ("deferred", "hold"):
            want = max(now - x["arrival_time"] for x in pq if x["queue_name"] == q)
            got = m.get("mailflow_queue_oldest_message_age_seconds", queue=q)
            self.assertLessEqual(abs(got - want), 3, q)
            self.assertEqual(m.get("mailflow_queue_message_age_seconds_count", queue=q),
                             by_queue[q])
        # Reason classes of every recipient postqueue shows a reason for.
        reasons = collections.Counter(
            expected_class(r["delay_reason"]) for x in pq for r in x["recipients"]
            if r.get("delay_reason"))
        self.assertEqual(reasons["connection_refused"] + reasons["connection_timed_out"]
                         + reasons["host_not_found"], 12,
                         [r["delay_reason"] for x in pq for r in x["recipients"]])
        for cls in ("connection_refused", "connection_timed_out", "host_not_found",
                    "no_route", "greylisted", "tls_failure", "mailbox_full",
                    "rejected_4xx", "other"):
            self.assertEqual(m.get("mailflow_queue_deferred_recipients", reason=cls),
                             reasons.get(cls, 0), cls)
        # Top 2 destination domains of deferred recipients, the rest in other.
        doms = collections.Counter(
            r["address"].rsplit("@", 1)[1] for x in pq if x["queue_name"] == "deferred"
            for r in x["recipients"])
        top = sorted(doms.items(), key=lambda kv: (-kv[1], kv[0]))
        for d, n in top[:2]:
            self.assertEqual(m.get("mailflow_queue_deferred_domain_recipients", domain=d), n)
        self.assertEqual(m.get("mailflow_queue_deferred_domain_recipients", domain="other"),
                         sum(n for _, n in top[2:]))
        # Bytes are queue-file bytes: more than the content sizes.
        self.assertGreater(m.get("mailflow_queue_size_bytes", queue="deferred"),
                           sum(x["message_size"] for x in pq if x["queue_name"] == "deferred"))
        self.assertEqual(m.get("mailflow_queue_corrupt_files", queue="corrupt"), 1)
        self.assertEqual(m.get("mailflow_queue_messages_near_expiry"), 0)

    def test_dashboard_and_alert_metrics_have_data(self):
        # Every series the Queue row and the queue alerts query exists in a
        # real scrape, with the labels they filter on.
        import re
        m = self.exporter.scrape()
        with open(os.path.join(harness.SOURCE_DIR, "dashboards", "grafana", "rows",
                               "20-queue.json")) as f:
            exprs = [t["expr"] for p in json.load(f) for t in p.get("targets", [])]
        with open(os.path.join(harness.SOURCE_DIR, "dashboards", "alerts", "queue.yml")) as f:
            exprs.append(f.read())
        names = set()
        for e in exprs:
            names.update(re.findall(r"mailflow_queue_[a-z_]+", e))
        self.assertGreaterEqual(len(names), 8, names)
        for n in sorted(names):
            self.assertTrue(m.find(n), n)
        self.assertTrue(m.find("mailflow_queue_message_age_seconds_bucket", queue="deferred"))
        for reason in ("connection_refused", "connection_timed_out", "host_not_found"):
            self.assertTrue(m.find("mailflow_queue_deferred_recipients", reason=reason))
        # And every panel's query returns data from a real Prometheus.
        prom = harness.Prometheus([self.exporter.address]).start()
        try:
            self.assertEqual(prom.row_panels_without_data("20-queue.json"), [],
                             "panels without data")
        finally:
            prom.stop()

    def test_steady_state_reads_nothing_again(self):
        self.exporter.scrape()
        m = self.exporter.scrape()
        self.assertEqual(m.get("mailflow_queue_scan_parsed_files"), 0)
        self.assertEqual(m.get("mailflow_queue_tracked_messages"), 11)  # + corrupt

    def test_diagnose_names_the_dominant_reason(self):
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"queue": "warn"}, d)
        self.assertEqual(d.exit_code, 1)
        f = d.finding("queue", status="warn")
        self.assertIn("9 deferred messages", f["summary"])
        self.assertIn("12 recipients, mostly connection_refused (5 of 12)", f["summary"])
        ev = Diagnosis.evidence(f)
        # The defer-log text of one refused recipient, with its queue id
        # (Postfix words it "delivery temporarily suspended: ..." once it
        # marked the destination dead after an earlier attempt).
        self.assertRegex(ev[0], r"^to=<user\d@refused\.test>: 4\.4\.1 "
                                r"(delivery temporarily suspended: )?connect to "
                                r"127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused "
                                r"\[defer log of [0-9A-F]+\]$")
        self.assertIn("connection_refused 5, connection_timed_out 3, host_not_found 4 "
                      "[deferred recipients]", ev)
        # Top destinations of the deferred queue (the held message is not
        # in it), as postqueue counts them.
        _, pq, _ = self.snapshot()
        per = collections.Counter(r["address"].split("@")[1] for m in pq
                                  if m["queue_name"] == "deferred" for r in m["recipients"])
        top = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
        want = ", ".join("%s %d" % kv for kv in top[:2])
        want += ", other %d" % sum(n for _, n in top[2:])
        self.assertIn(want + " [top destinations]", ev)
        self.assertEqual(f["runbook"]["name"], "DeferredMostlyConnectionRefused")
        self.assertEqual(f["apply"], "postqueue -c %s -f   (retry the deferred mail now)"
                         % self.pf.etc)
        self.assertEqual(d.status("greylisting"), "ok")
        # The board of the running exporter says the same (the oldest
        # message's age may have gained a second in between).
        board = self.exporter.board()
        self.assertEqual(board.problems(), d.problems())
        ages = re.compile(r"\d+(\.\d+)?\s?[smhd]\b")
        self.assertEqual(ages.sub("AGE", board.finding("queue", status="warn")["summary"]),
                         ages.sub("AGE", f["summary"]))

    def test_near_expiry_from_main_cf(self):
        # maximal_queue_lifetime from main.cf: 1d puts every message within 24h.
        self.pf.set(maximal_queue_lifetime="1d")
        try:
            m = self.exporter.scrape()
            self.assertEqual(m.get("mailflow_queue_messages_near_expiry"), 10)
        finally:
            self.pf.set(maximal_queue_lifetime="5d")

    def test_permission_denied_is_loud(self):
        ex = UnprivilegedExporter(
            args=["--collector.disable-defaults", "--collector.queue"],
            config="collectors:\n  queue:\n    queue_directory: %s\n" % self.pf.spool)
        os.chmod(ex.workdir, 0o777)
        ex.start()
        m = ex.scrape()
        self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 0)
        # No silent zeros: unreadable queues have no series at all.
        self.assertIsNone(m.get("mailflow_queue_messages", queue="deferred"))
        self.assertIsNone(m.get("mailflow_queue_deferred_recipients",
                                reason="connection_refused"))
        ex.scrape()
        log = ex.log()
        self.assertEqual(log.count("permission denied listing"), 1, log)
        self.assertIn("needs read access to the Postfix spool", log)
        # diagnose as the same user: the queue step could not be checked,
        # says why and how to grant it, and the run ends in its bound.
        d = ex.diagnose(timeout="5s")
        self.assertLess(d.seconds, 10)
        self.assertEqual(d.exit_code, 3, d)
        self.assertEqual(d.problems(), {})
        queue = d.steps["queue"]
        self.assertEqual((queue["status"], queue["unchecked"]), ("skipped", True))
        f = d.finding("queue")
        self.assertIn("permission denied listing", f["summary"])
        self.assertIn("CAP_DAC_READ_SEARCH", f["fix"])

    def test_cap_dac_read_search_is_enough(self):
        # The documented privilege: an unprivileged user with the ambient
        # capability CAP_DAC_READ_SEARCH reads the 0700 spool.
        ex = UnprivilegedExporter(
            args=["--collector.disable-defaults", "--collector.queue"],
            config="collectors:\n  queue:\n    queue_directory: %s\n" % self.pf.spool,
            caps=True)
        os.chmod(ex.workdir, 0o777)
        ex.start()
        m = ex.scrape()
        self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 1, ex.log())
        self.assertEqual(m.get("mailflow_queue_messages", queue="deferred"), 9)
        self.assertEqual(m.get("mailflow_queue_deferred_recipients",
                               reason="connection_refused"), 5)


class UnprivilegedExporter(Exporter):
    """The exporter as user nobody (no access to the 0700 spool dirs),
    optionally with the ambient capability CAP_DAC_READ_SEARCH."""

    def __init__(self, caps=False, **kw):
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if caps:
            prefix += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        super().__init__(prefix=prefix, **kw)


if __name__ == "__main__":
    unittest.main()
