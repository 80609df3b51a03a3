#!/usr/bin/env python3
"""Soak: wrk -c64 on /metrics for minutes, with reloads and log rotation,
against a real private Postfix instance (postfix, listen, queue, log and
smtp collectors; the smtp targets are two local smtp-sinks).

Reports: wrk's requests and errors; the allowed client's scrapes (one per
second from 127.0.0.1 while wrk runs) with failures and latency; RSS,
open fds and threads at idle before, sampled during, and after the load
(when they must be back to idle). Not in CI (minutes long); CI runs
tests/integration/test_concurrency.py, a short version of the same mix.

usage (root): python3 bench/soak.py [--minutes 5] [--exporter BIN]
Loopback only; everything it starts is stopped on exit.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import Exporter, PostfixInstance, wait_for  # noqa: E402


def proc_stats(pid):
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return {"rss_kib": rss, "threads": threads, "fds": fds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--exporter", default=harness.EXPORTER)
    ap.add_argument("--reload-every", type=float, default=2.0)
    ap.add_argument("--rotate-every", type=float, default=10.0)
    a = ap.parse_args()
    harness.paths.EXPORTER = a.exporter
    pf = PostfixInstance().start()
    sinks = [harness.smtp_sink(), harness.smtp_sink()]
    config = harness.exporter_config(pf, collectors="""  smtp:
    interval: 5s
    targets: [127.0.0.1:%d, 127.0.0.1:%d]
    port25_control_ports: []
""" % tuple(sinks))
    e = Exporter(config=config, args=["--web.enable-lifecycle"]).start()
    url = e.url("/metrics")
    # Mail in the queue and lines in the log while we soak.
    harness.run(["smtp-source", "-s", "4", "-m", "200", "-f", "a@x.test", "-t", "b@y.test",
                 "127.0.0.1:%d" % pf.smtp_port])
    for _ in range(20):
        e.scrape()
    time.sleep(3)
    idle = proc_stats(e.proc.pid)
    print("idle before: %s" % idle, flush=True)

    stop = threading.Event()
    samples, client, counts = [], [], {"reload": 0, "rotate": 0}

    def sampler():
        while not stop.wait(5):
            samples.append(proc_stats(e.proc.pid))

    def allowed_client():
        while not stop.wait(1):
            start = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    ok = r.status == 200 and b"mailflow_exporter_build_info" in r.read()
            except Exception:
                ok = False
            client.append((ok, (time.monotonic() - start) * 1000))

    def churn():
        next_rotate = time.monotonic() + a.rotate_every
        while not stop.wait(a.reload_every):
            if e.reload()[0] == 200:
                counts["reload"] += 1
            # A few messages: log lines to follow and queue files to scan.
            harness.run(["smtp-source", "-s", "2", "-m", "5", "-f", "a@x.test",
                         "-t", "b@y.test", "127.0.0.1:%d" % pf.smtp_port], check=False)
            if time.monotonic() >= next_rotate:
                # Postfix's own rotation of maillog_file (rename, gzip).
                p = subprocess.run(["postfix", "-c", pf.etc, "logrotate"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                counts["rotate"] += p.returncode == 0
                next_rotate += a.rotate_every

    threads = [threading.Thread(target=f) for f in (sampler, allowed_client, churn)]
    for t in threads:
        t.start()
    seconds = int(a.minutes * 60)
    wrk = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % seconds, "--timeout", "30s", url],
                         stdout=subprocess.PIPE, text=True)
    stop.set()
    for t in threads:
        t.join(60)
    print(wrk.stdout.strip())
    # Back to idle: requests still queued when wrk stopped finish first.
    end = time.monotonic()
    while True:
        after = proc_stats(e.proc.pid)
        if (after["threads"] <= idle["threads"] and after["fds"] <= idle["fds"]) or \
                time.monotonic() - end > 120:
            break
        time.sleep(1)
    print("back to idle %.0f s after the load" % (time.monotonic() - end))
    lat = sorted(ms for _, ms in client)
    failed = sum(1 for ok, _ in client if not ok)
    print("allowed client: %d scrapes, %d failed, latency median %.1f ms, p99 %.1f ms, "
          "max %.1f ms" % (len(client), failed, statistics.median(lat),
                           lat[max(0, int(len(lat) * 0.99) - 1)], lat[-1]))
    print("reloads %d, log rotations %d" % (counts["reload"], counts["rotate"]))
    for key in ("rss_kib", "threads", "fds"):
        vals = [s[key] for s in samples]
        print("%-8s idle %6d  during min %6d max %6d  (first minute max %6d, last minute "
              "max %6d)  after %6d" % (
                  key, idle[key], min(vals), max(vals), max(vals[:12]), max(vals[-12:]),
                  after[key]))
    e.stop()
    pf.stop()


if __name__ == "__main__":
    main()
