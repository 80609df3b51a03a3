"""Concurrency of the real binary: reloads under scrape load, /probe and
background probes during scrapes, log rotation while scraping.

scripts/test runs this file a second time against the ThreadSanitizer build
(build-tsan, ctest label "tsan"): the exporter runs with TSAN_OPTIONS
log_path in a temp directory and the test asserts that no report was
written. In other builds the same assertion holds trivially and the test
checks that every request was answered.
"""
import os
import signal
import threading
import time
import unittest

import harness
from harness import Exporter, Metrics, wait_for

LOG_FIXTURE = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "log",
                           "postfix-3.7-real.log")
SECONDS = float(os.environ.get("MAILFLOW_CONCURRENCY_SECONDS", "8"))


class ConcurrencyTest(unittest.TestCase):
    def test_reloads_probes_and_log_rotation_under_scrape_load(self):
        d = harness.tmpdir()
        tsan_dir = os.path.join(d, "tsan")
        os.makedirs(tsan_dir)
        sinks = [harness.smtp_sink(), harness.smtp_sink()]
        log_path = os.path.join(d, "mail.log")
        open(log_path, "w").close()
        config = """collectors:
  smtp:
    interval: 1s
    timeout: 2s
    connect_timeout: 1s
    targets: [127.0.0.1:%d, 127.0.0.1:%d]
    port25_control_ports: []
    probe:
      allowed_networks: [127.0.0.1/32]
      allowed_ports: [%d]
  log:
    path: %s
    start_at: beginning
    poll_interval: 50ms
""" % (sinks[0], sinks[1], sinks[0], log_path)
        env = dict(os.environ, TSAN_OPTIONS="log_path=%s/report second_deadlock_stack=1"
                   % tsan_dir)
        e = Exporter(config=config, env=env,
                     args=["--collector.disable-defaults", "--collector.smtp",
                           "--collector.log", "--collector.postfix",
                           "--web.enable-lifecycle"]).start()
        self.addCleanup(e.stop)
        wait_for(lambda: e.scrape().has("mailflow_smtp_last_run_timestamp_seconds"), 60,
                 interval=0.25, what="the first probe round")

        stop = threading.Event()
        results = {"scrape": [], "probe": [], "reload": []}
        lock = threading.Lock()

        def record(kind, value):
            with lock:
                results[kind].append(value)

        def scraper():
            while not stop.is_set():
                status, body = e.get("/metrics")
                record("scrape", status)

        def prober():
            while not stop.is_set():
                status, body = e.get("/probe?module=smtp&target=127.0.0.1:%d" % sinks[0])
                record("probe", (status, Metrics(body.decode()).get("probe_success")
                                 if status == 200 else None))

        # Reloads stop a little before the rest: collectors are rebuilt by a
        # reload, and the log collector's counters start again with it.
        reloads_end = time.monotonic() + SECONDS * 0.6

        def reloader():
            n = 0
            while not stop.is_set() and time.monotonic() < reloads_end:
                if n % 2:
                    e.proc.send_signal(signal.SIGHUP)
                else:
                    record("reload", e.reload()[0])
                n += 1
                stop.wait(0.3)

        with open(LOG_FIXTURE) as f:
            lines = f.read().splitlines(True)

        def log_writer():
            n = 0
            while not stop.is_set():
                with open(log_path, "a") as f:
                    f.writelines(lines[n % len(lines):n % len(lines) + 5])
                n += 5
                if n % 50 == 0:  # logrotate's create mode: rename, new file
                    os.replace(log_path, log_path + ".1")
                    open(log_path, "w").close()
                stop.wait(0.02)

        threads = [threading.Thread(target=f) for f in
                   (scraper, scraper, scraper, prober, reloader, log_writer)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(60)

        self.assertIsNone(e.proc.poll(), e.log()[-2000:])
        self.assertGreater(len(results["scrape"]), 10)
        self.assertEqual(set(results["scrape"]), {200})
        self.assertTrue(results["probe"])
        self.assertEqual(set(results["probe"]), {(200, 1)})
        self.assertTrue(set(results["reload"]) <= {200, 429}, results["reload"])
        self.assertIn(200, results["reload"])
        m = e.scrape()
        self.assertGreater(sum(v for _, v in m.find("mailflow_log_file_rotations_total")), 0,
                           m.text)
        self.assertGreater(sum(v for _, v in m.find("mailflow_log_lines_total")), 0)
        e.stop()
        reports = [os.path.join(tsan_dir, f) for f in os.listdir(tsan_dir)]
        text = "".join(open(r).read()[:4000] for r in reports)
        self.assertEqual(reports, [], "ThreadSanitizer reports:\n" + text)


if __name__ == "__main__":
    unittest.main()
