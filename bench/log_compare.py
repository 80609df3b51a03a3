#!/usr/bin/env python3
"""Log parsing throughput: mailflow_exporter's log collector vs kumina's
postfix_exporter (Debian prometheus-postfix-exporter) vs `wc -l`.

Builds an N-line log (default 1,000,000) from the real Postfix lines in
tests/fixtures/log/postfix-3.7-real.log (queue ids renumbered per copy), then:
  - wc -l on it (the I/O floor, warm page cache, best of 3);
  - each exporter follows an empty file; the big file is appended in one go;
    the time from the append until the exporter's counters reach the end
    (ours: mailflow_log_lines_total == N; kumina:
    postfix_qmgr_messages_removed_total == the number of "removed" lines,
    the last line of the file is such a line) and the exporter's peak RSS
    (VmHWM).
Everything runs on 127.0.0.1. Usage:
  bench/log_compare.py [--lines N] [--exporter build-log/exporter/mailflow_exporter]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORPUS = os.path.join(SRC, "tests", "fixtures", "log", "postfix-3.7-real.log")
QID = re.compile(r"\b[0-9A-F]{10,12}\b")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_log(path, n):
    with open(CORPUS) as f:
        lines = [l for l in f.read().splitlines() if l]
    # end on a qmgr "removed" line (kumina's end marker)
    last_removed = max(i for i, l in enumerate(lines) if l.endswith(": removed"))
    lines = lines[:last_removed + 1]
    out = []
    copy = 0
    while len(out) < n:
        prefix = "%05X" % (copy % 0x100000)
        for l in lines:
            out.append(QID.sub(lambda m: prefix + m.group(0)[5:], l))
        copy += 1
    # trim to n lines, ending on a removed line
    out = out[:n]
    while not out[-1].endswith(": removed"):
        out.pop()
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return len(out), sum(1 for l in out if l.endswith(": removed"))


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmHWM:"):
                return int(l.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric(url, name):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read().decode()
    except OSError:
        return None
    total = None
    for l in body.splitlines():
        if l.startswith(name + " ") or l.startswith(name + "{"):
            total = (total or 0) + float(l.rsplit(" ", 1)[1])
    return total


def follow_and_time(cmd, url, log_path, big, name, want, timeout=900):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 20
        while metric(url, name) is None:
            if time.monotonic() > end or p.poll() is not None:
                raise RuntimeError("%s did not come up" % cmd[0])
            time.sleep(0.05)
        time.sleep(1.0)  # let it open and seek the (empty) file
        cpu0 = cpu_seconds(p.pid)
        t0 = time.monotonic()
        with open(log_path, "ab") as dst, open(big, "rb") as src:
            shutil.copyfileobj(src, dst, 1 << 20)
        end = t0 + timeout
        while True:
            v = metric(url, name)
            if v is not None and v >= want:
                break
            if time.monotonic() > end:
                raise RuntimeError("%s: %s=%r after %ds, want %d" % (cmd[0], name, v, timeout, want))
            time.sleep(0.02)
        secs = time.monotonic() - t0
        return secs, cpu_seconds(p.pid) - cpu0, vm_hwm_kb(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--exporter", default=os.path.join(SRC, "build-log", "exporter",
                                                       "mailflow_exporter"))
    ap.add_argument("--kumina", default="prometheus-postfix-exporter")
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="mailflow-logbench-")
    try:
        big = os.path.join(d, "big.log")
        n, removed = build_log(big, args.lines)
        size = os.path.getsize(big)
        print("input: %d lines, %.1f MB, %d removed lines" % (n, size / 1e6, removed))

        best = None
        for _ in range(3):
            t = time.monotonic()
            subprocess.run(["wc", "-l", big], check=True, stdout=subprocess.DEVNULL)
            dt = time.monotonic() - t
            best = dt if best is None else min(best, dt)
        print("wc -l:    %7.3f s  %12.0f lines/s" % (best, n / best))

        ours_log = os.path.join(d, "ours.log")
        open(ours_log, "w").close()
        cfg = os.path.join(d, "mailflow.yml")
        with open(cfg, "w") as f:
            f.write("collectors:\n  log:\n    path: %s\n    poll_interval: 20ms\n" % ours_log)
        port = free_port()
        ours_s, ours_cpu, ours_rss = follow_and_time(
            [args.exporter, "--web.listen-address=127.0.0.1:%d" % port,
             "--collector.disable-defaults", "--collector.log", "--config.file=" + cfg],
            "http://127.0.0.1:%d/metrics" % port, ours_log, big, "mailflow_log_lines_total", n)
        print("mailflow: %7.3f s  %12.0f lines/s  CPU %.3f s (%.0f lines/CPU-s)  VmHWM %d kB" % (
            ours_s, n / ours_s, ours_cpu, n / max(ours_cpu, 1e-9), ours_rss))

        k_log = os.path.join(d, "kumina.log")
        open(k_log, "w").close()
        port = free_port()
        k_s, k_cpu, k_rss = follow_and_time(
            [args.kumina, "--web.listen-address=127.0.0.1:%d" % port,
             "--postfix.showq_path=" + os.path.join(d, "no-showq"),
             "--postfix.logfile_path=" + k_log],
            "http://127.0.0.1:%d/metrics" % port, k_log, big,
            "postfix_qmgr_messages_removed_total", removed)
        print("kumina:   %7.3f s  %12.0f lines/s  CPU %.3f s (%.0f lines/CPU-s)  VmHWM %d kB" % (
            k_s, n / k_s, k_cpu, n / max(k_cpu, 1e-9), k_rss))
        print("ratios: mailflow/kumina wall %.1fx, CPU %.1fx; mailflow/wc-l time %.1fx; "
              "RSS mailflow/kumina %.2f" % (k_s / ours_s, k_cpu / max(ours_cpu, 1e-9),
                                            ours_s / best, ours_rss / max(k_rss, 1)))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
