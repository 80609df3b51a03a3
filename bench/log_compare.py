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
--reps R repeats the three timings (the figures vary a lot on a shared
machine: compare the ratios of one repetition, and report their range);
--baseline EXPORTER times another build of ours (e.g. before a change) in
each repetition too, for a before/after beside kumina.
Everything runs on 127.0.0.1. Usage:
  bench/log_compare.py [--lines N] [--reps R] [--baseline OLD_EXPORTER]
                       [--exporter build-log/exporter/mailflow_exporter]
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


def time_ours(exporter, d, big, n, label):
    log = os.path.join(d, label + ".log")
    open(log, "w").close()
    cfg = os.path.join(d, label + ".yml")
    with open(cfg, "w") as f:
        f.write("collectors:\n  log:\n    path: %s\n    poll_interval: 20ms\n" % log)
    port = free_port()
    s, cpu, rss = follow_and_time(
        [exporter, "--web.listen-address=127.0.0.1:%d" % port,
         "--collector.disable-defaults", "--collector.log", "--config.file=" + cfg],
        "http://127.0.0.1:%d/metrics" % port, log, big, "mailflow_log_lines_total", n)
    print("%-9s %7.3f s  %12.0f lines/s  CPU %.3f s (%.0f lines/CPU-s)  VmHWM %d kB" % (
        label + ":", s, n / s, cpu, n / max(cpu, 1e-9), rss))
    return s, cpu, rss


def time_kumina(kumina, d, big, removed, n):
    log = os.path.join(d, "kumina.log")
    open(log, "w").close()
    port = free_port()
    s, cpu, rss = follow_and_time(
        [kumina, "--web.listen-address=127.0.0.1:%d" % port,
         "--postfix.showq_path=" + os.path.join(d, "no-showq"),
         "--postfix.logfile_path=" + log],
        "http://127.0.0.1:%d/metrics" % port, log, big,
        "postfix_qmgr_messages_removed_total", removed)
    print("%-9s %7.3f s  %12.0f lines/s  CPU %.3f s (%.0f lines/CPU-s)  VmHWM %d kB" % (
        "kumina:", s, n / s, cpu, n / max(cpu, 1e-9), rss))
    return s, cpu, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--exporter", default=os.path.join(SRC, "build-log", "exporter",
                                                       "mailflow_exporter"))
    ap.add_argument("--baseline", help="another mailflow_exporter build, timed beside")
    ap.add_argument("--kumina", default="prometheus-postfix-exporter")
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="mailflow-logbench-")
    try:
        big = os.path.join(d, "big.log")
        n, removed = build_log(big, args.lines)
        size = os.path.getsize(big)
        print("input: %d lines, %.1f MB, %d removed lines" % (n, size / 1e6, removed))

        summary = []
        for rep in range(1, args.reps + 1):
            print("== repetition %d, load average %.1f %.1f %.1f" % ((rep,) + os.getloadavg()))
            best = None
            for _ in range(3):
                t = time.monotonic()
                subprocess.run(["wc", "-l", big], check=True, stdout=subprocess.DEVNULL)
                dt = time.monotonic() - t
                best = dt if best is None else min(best, dt)
            print("wc -l:    %7.3f s  %12.0f lines/s" % (best, n / best))
            # With a baseline, which of the two goes first alternates.
            base = None
            if args.baseline and rep % 2 == 0:
                base = time_ours(args.baseline, d, big, n, "baseline")
            ours = time_ours(args.exporter, d, big, n, "mailflow")
            if args.baseline and rep % 2 == 1:
                base = time_ours(args.baseline, d, big, n, "baseline")
            k = time_kumina(args.kumina, d, big, removed, n)
            line = ("rep %d: mailflow/kumina wall %.1fx, CPU %.1fx; mailflow/wc-l time %.1fx; "
                    "RSS mailflow/kumina %.2f" % (rep, k[0] / ours[0], k[1] / max(ours[1], 1e-9),
                                                  ours[0] / best, ours[2] / max(k[2], 1)))
            if base:
                line += ("; baseline/kumina wall %.1fx, CPU %.1fx; CPU baseline/mailflow %.2fx" % (
                    k[0] / base[0], k[1] / max(base[1], 1e-9), base[1] / max(ours[1], 1e-9)))
            print("ratios: " + line)
            summary.append(line)
        if args.reps > 1:
            print("== summary")
            for line in summary:
                print(line)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
