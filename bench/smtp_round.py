#!/usr/bin/env python3
"""Benchmark: one smtp probe round over N targets (namespace peers, half of
them behind an nft drop rule). Reports round duration against the timeout
(the floor: a round can not end before its slowest probe times out) and
against the serial sum (targets x timeout), plus CPU and RSS per round.

usage (root): MAILFLOW_EXPORTER=build-x/exporter/mailflow_exporter \
    python3 bench/smtp_round.py [--targets 200] [--timeout 5] [--rounds 5]
All traffic stays inside two network namespaces the script creates.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import Metrics, on_exit, run, wait_for  # noqa: E402
from netns import NetnsPair  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=128)
    args = ap.parse_args()
    n = args.targets
    net = NetnsPair("bsm")
    prefix = net.addr_b.rsplit(".", 1)[0]
    addrs = ["%s.%d" % (prefix, 10 + i) for i in range(n)]
    if n > 240:
        raise SystemExit("at most 240 targets (one /24)")
    dev = net.exec_b(["ip", "-o", "link", "show", "type", "veth"]).split(":")[1].strip().split("@")[0]
    batch = "".join("address add %s/24 dev %s\n" % (a, dev) for a in addrs)
    net.exec_b(["ip", "-batch", "-"], input=batch)
    dropped = addrs[n // 2:]
    net.exec_b(["nft", "-f", "-"], input="""
table inet mfbench {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr { %s } tcp dport 25 drop
  }
}
""" % ", ".join(dropped))
    net.popen(net.b, ["smtp-sink", "-u", "nobody", "-m", "1000", ":25", "1024"],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: ":25 " in net.exec_b(["ss", "-Htln"]), 10, what="smtp-sink")
    workdir = harness.tmpdir("mailflow-bench-")
    interval = args.timeout + 2
    cfg = os.path.join(workdir, "mailflow.yml")
    with open(cfg, "w") as f:
        f.write("""collectors:
  smtp:
    interval: %dms
    timeout: %dms
    connect_timeout: %dms
    max_concurrency: %d
    port25_control_ports: []
    targets: [%s]
""" % (interval * 1000, args.timeout * 1000, args.timeout * 1000, args.concurrency,
       ", ".join('"%s:25"' % a for a in addrs)))
    log = open(os.path.join(workdir, "exporter.log"), "w")
    proc = subprocess.Popen(["ip", "netns", "exec", net.a, harness.EXPORTER,
                             "--web.listen-address=127.0.0.1:0", "--log.level=info",
                             "--collector.disable-defaults", "--collector.smtp",
                             "--config.file=" + cfg], stdout=log, stderr=subprocess.STDOUT)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
    on_exit(stop)
    import re
    address = wait_for(lambda: (re.search(r"listening on ([0-9.]+:[0-9]+)",
                                          open(log.name).read()) or [None, None])[1],
                       10, what="exporter")

    def scrape():
        out = net.exec_a(["curl", "-sS", "-m", "30", "http://%s/metrics" % address])
        return Metrics(out)

    def last_run(m):
        return m.get("mailflow_smtp_last_run_timestamp_seconds")

    m = wait_for(lambda: (lambda x: x if last_run(x) else None)(scrape()),
                 interval * 3, interval=0.2, what="first round")
    rounds = []
    prev = m
    for _ in range(args.rounds):
        cur = wait_for(lambda: (lambda x: x if last_run(x) != last_run(prev) else None)(scrape()),
                       interval * 3, interval=1.0, what="next round")
        rounds.append({
            "round_seconds": cur.get("mailflow_smtp_round_duration_seconds"),
            "cpu_seconds": cur.get("process_cpu_seconds_total") - prev.get("process_cpu_seconds_total"),
            "rss_bytes": cur.get("process_resident_memory_bytes"),
        })
        prev = cur
    # CPU of the rounds alone: K rounds with only two scrapes around them.
    attempts = lambda x: sum(v for _, v in x.find("mailflow_smtp_probes_total"))
    k = max(3, args.rounds)
    first = scrape()
    time.sleep(k * interval)
    last = scrape()
    quiet_rounds = (attempts(last) - attempts(first)) / n
    quiet_cpu_per_round = ((last.get("process_cpu_seconds_total") -
                            first.get("process_cpu_seconds_total")) / quiet_rounds)
    # what the scrapes themselves cost (subtracted from the per-round CPU)
    t0 = time.monotonic()
    before = scrape()
    for _ in range(20):
        scrape()
    after = scrape()
    scrape_cpu = (after.get("process_cpu_seconds_total") -
                  before.get("process_cpu_seconds_total")) / 21
    scrape_wall = (time.monotonic() - t0) / 22
    body_lines = len(after.text.splitlines())
    ok = sum(v for l, v in prev.find("mailflow_smtp_probe_last_result", result="ok"))
    timeouts = sum(v for l, v in prev.find("mailflow_smtp_probe_last_result", result="timeout"))
    rs = sorted(r["round_seconds"] for r in rounds)
    cpu = sorted(r["cpu_seconds"] for r in rounds)
    result = {
        "targets": n, "dropping": len(dropped), "timeout_s": args.timeout,
        "max_concurrency": args.concurrency,
        "last_round_ok": ok, "last_round_timeout": timeouts,
        "round_seconds_median": rs[len(rs) // 2], "round_seconds_max": rs[-1],
        "round_over_timeout": rs[len(rs) // 2] / args.timeout,
        "serial_floor_seconds": len(dropped) * args.timeout,
        "speedup_vs_serial": len(dropped) * args.timeout / rs[len(rs) // 2],
        "cpu_seconds_per_round_median_incl_scrapes": cpu[len(cpu) // 2],
        "scrape_cpu_seconds": scrape_cpu,
        "scrape_wall_seconds_incl_curl": scrape_wall,
        "scrape_body_lines": body_lines,
        "quiet_rounds": quiet_rounds,
        "cpu_seconds_per_round_without_scrapes": quiet_cpu_per_round,
        "rss_mib_max": max(r["rss_bytes"] for r in rounds) / 2**20,
        "rounds": rounds,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
