#!/usr/bin/env python3
"""How long an allowed client's scrape takes while hostile clients attack.

Starts the exporter (postfix + listen collectors on the fixture tree, as
bench/idle_rss.sh) on 127.0.0.1, then for each scenario measures SAMPLES
sequential GET /metrics from 127.0.0.1 (the allowed client) while:
  idle / trickle / partial  COUNT connections from 127.0.0.2
                            (tests/integration/tools/slowloris.py)
  wrk                       wrk -c64 on /metrics from 127.0.0.1
Prints min / median / p90 / max latency in ms and failed scrapes.
Loopback only; every process it starts is stopped on exit.

  bench/hostile_http.py [--exporter BIN] [--count 1000] [--samples 30]
                        [--scenarios idle,trickle,wrk] [-- EXPORTER ARGS...]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "tools"))
from slowloris import Slowloris, raise_fd_limit  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixture_config(tmp):
    tree = os.path.join(tmp, "tree")
    shutil.copytree(os.path.join(ROOT, "tests", "fixtures", "e2e"), tree, symlinks=True)
    main_cf = os.path.join(tree, "postfix", "main.cf")
    with open(main_cf) as f:
        text = f.read().replace("@ROOT@", tree)
    with open(main_cf, "w") as f:
        f.write(text)
    path = os.path.join(tmp, "c.yml")
    with open(path, "w") as f:
        f.write("paths:\n  postfix_config_directory: %s/postfix\n  proc: %s/proc\n"
                "  etc: %s/etc\n" % (tree, tree, tree))
    return path


def scrape_ms(url, timeout=30):
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            ok = r.status == 200
    except Exception:
        ok = False
    return (time.monotonic() - start) * 1000, ok


def measure(url, samples, gap=0.2):
    times, failed = [], 0
    for _ in range(samples):
        ms, ok = scrape_ms(url)
        times.append(ms)
        failed += not ok
        time.sleep(gap)
    times.sort()
    return {"min": times[0], "median": statistics.median(times),
            "p90": times[int(len(times) * 0.9) - 1], "max": times[-1], "failed": failed}


def row(name, r):
    print("%-28s min %7.1f  median %7.1f  p90 %8.1f  max %8.1f ms  failed %d/%d" % (
        name, r["min"], r["median"], r["p90"], r["max"], r["failed"], r["n"]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", default=os.path.join(ROOT, "build", "exporter",
                                                       "mailflow_exporter"))
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--scenarios", default="none,idle,trickle,partial,wrk")
    ap.add_argument("args", nargs="*", help="extra exporter arguments")
    a = ap.parse_args()
    raise_fd_limit(a.count + 512)
    tmp = tempfile.mkdtemp(prefix="mailflow-hostile-")
    port = free_port()
    log = open(os.path.join(tmp, "exporter.log"), "w")
    exp = subprocess.Popen([a.exporter, "--config.file=" + fixture_config(tmp),
                            "--collector.disable-defaults", "--collector.postfix",
                            "--collector.listen", "--web.listen-address=127.0.0.1:%d" % port]
                           + a.args, stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d/metrics" % port
    try:
        for _ in range(100):
            if scrape_ms(url, 1)[1]:
                break
            time.sleep(0.1)
        print("exporter %s %s" % (a.exporter, " ".join(a.args)))
        for sc in a.scenarios.split(","):
            attack = wrk = None
            if sc in ("idle", "trickle", "partial"):
                attack = Slowloris("127.0.0.1", port, a.count, sc, "127.0.0.2").start()
                attack.wait_open(20)
                time.sleep(2)  # let the attack settle in
            elif sc == "wrk":
                wrk = subprocess.Popen(["wrk", "-t2", "-c64", "-d600s", url],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(2)
            try:
                r = measure(url, a.samples)
                r["n"] = a.samples
                name = sc if sc in ("none", "wrk") else "%s x%d" % (sc, a.count)
                row(name, r)
            finally:
                if attack:
                    attack.stop()
                if wrk:
                    wrk.terminate()
                    wrk.wait(10)
            time.sleep(1)
    finally:
        exp.terminate()
        try:
            exp.wait(10)
        except subprocess.TimeoutExpired:
            exp.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
