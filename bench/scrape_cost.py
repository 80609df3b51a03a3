#!/usr/bin/env python3
"""Cost of a scrape beside kumina's prometheus-postfix-exporter, in one run:
steady state (nothing changed since the last scrape) and right after a change
(a firewall rule added, a listening socket opened, queue files added, main.cf
edited before every scrape).

Everything runs inside a private network namespace created for the run (only
`lo`, up), so fixed ports never collide, the ruleset changes never touch the
host's, and all traffic stays on that namespace's loopback.

Per scenario, with a fresh mailflow_exporter and a fresh kumina (Debian's
prometheus-postfix-exporter, empty log file, as the issue measured it):
  CPU per scrape  utime+stime of the process and its reaped children over
                  SCRAPES sequential scrapes (new connection each, like curl)
                  after 10 warm-up scrapes, background threads included (as
                  the issue measured it); in a change
                  scenario the change is made before each of those scrapes
                  (by other processes or this script: not counted).
  wrk             `wrk -t2 -c16 -dWRK_SECONDS --latency` on /metrics
                  (steady-state scenarios only): requests/s, p99, non-2xx.
The load average before each scenario is printed: the machine may be shared,
compare the ratios from one run, not absolute figures across runs.

  sudo python3 bench/scrape_cost.py [--build build] [--scenarios default,firewall]
      [--scrapes 100] [--wrk-seconds 6] [--rules 0] [--queue 10000]
      [--keepalive-close]   (adds wrk with `Connection: close` on both sides)

Scenarios: default (embedded default config, every collector), postfix,
listen, firewall, queue, log, dns, smtp (that collector alone), and the change
scenarios firewall+rule, listen+socket, queue+10files, postfix+maincf,
default+rule. --rules N loads bench/synthetic_ruleset.sh N first.
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OURS_PORT, KUMINA_PORT = 19160, 19161
COLLECTORS = ["postfix", "listen", "firewall", "queue", "log", "dns", "smtp"]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, **kw).stdout


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime..cstime are fields 14..17
    return sum(int(x) for x in fields[11:15])


def scrape(port, path="/metrics"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers={"Connection": "close"})
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError("scrape of :%d returned %d: %r" % (port, r.status, body[:200]))
    return body


def wait_up(port, proc, log):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("exited: " + open(log).read()[-2000:])
        try:
            scrape(port)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("not listening on %d: %s" % (port, open(log).read()[-2000:]))


def per_scrape_ms(pid, port, scrapes, change=None):
    for _ in range(10):
        scrape(port)
    hz = os.sysconf("SC_CLK_TCK")
    c0 = cpu_ticks(pid)
    for i in range(scrapes):
        if change:
            change(i)
        scrape(port)
    return (cpu_ticks(pid) - c0) * 1000.0 / hz / scrapes


def wrk(port, seconds, extra=()):
    out = run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "--latency"] + list(extra) +
              ["http://127.0.0.1:%d/metrics" % port])
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:(.*)", out)
    return "%s req/s, p99 %s%s%s" % (rps, p99, ", non-2xx %s" % bad.group(1) if bad else "",
                                     ", socket errors%s" % errs.group(1) if errs else "")


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = tempfile.mkdtemp(prefix="mailflow-scrape-cost-")
        os.chmod(self.tmp, 0o755)
        self.exporter = os.path.join(args.build, "exporter", "mailflow_exporter")
        self.writer = os.path.join(args.build, "bench", "queue_scan_bench")
        self.sockets = []
        self.rule = 0
        self.procs = []
        self.empty_log = os.path.join(self.tmp, "empty.log")
        open(self.empty_log, "w").close()
        self.postfix_dir = None

    # --- fixtures -----------------------------------------------------------
    def private_postfix(self):
        """Debian's stock main.cf/master.cf with a private spool of --queue
        synthetic deferred messages (queue_scan_bench write)."""
        if self.postfix_dir:
            return self.postfix_dir
        d = os.path.join(self.tmp, "postfix")
        os.makedirs(d)
        shutil.copy("/usr/share/postfix/main.cf.debian", os.path.join(d, "main.cf"))
        shutil.copy("/etc/postfix/master.cf", os.path.join(d, "master.cf"))
        self.spool = os.path.join(self.tmp, "spool")
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("queue_directory = %s\nsmtpd_banner = $myhostname ESMTP 0\n" % self.spool)
        self.add_queue_files(self.a.queue)
        self.postfix_dir = d
        return d

    def add_queue_files(self, n):
        run([self.writer, "write", self.spool, str(n)])

    def config(self, private):
        path = os.path.join(self.tmp, "config.yml")
        with open(path, "w") as f:
            if private:
                f.write("paths:\n  postfix_config_directory: %s\n" % self.private_postfix())
        return path

    # --- changes ------------------------------------------------------------
    def add_rule(self, i):
        self.rule += 1
        run(["nft", "add", "rule", "inet", "mfchange", "input",
             "tcp", "dport", str(30000 + self.rule), "accept"])

    def open_socket(self, i):
        s = socket.socket()
        s.bind(("127.0.%d.%d" % (1 + len(self.sockets) // 250, 2 + len(self.sockets) % 250), 25))
        s.listen(1)
        self.sockets.append(s)

    def edit_main_cf(self, i):
        path = os.path.join(self.postfix_dir, "main.cf")
        with open(path) as f:
            text = f.read()
        text = re.sub(r"ESMTP \d+", "ESMTP %d" % (i + 1), text)
        with open(path, "w") as f:
            f.write(text)

    # --- processes ----------------------------------------------------------
    def start(self, cmd, port, name):
        log = os.path.join(self.tmp, name + ".log")
        p = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_up(port, p, log)
        return p

    def stop_all(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []

    def scenario(self, name):
        base, _, change = name.partition("+")
        args = [] if base == "default" else ["--collector.disable-defaults", "--collector." + base]
        private = base in ("postfix", "queue") or change in ("10files", "maincf")
        fn = {"": None, "rule": self.add_rule, "socket": self.open_socket,
              "10files": lambda i: self.add_queue_files(10), "maincf": self.edit_main_cf}[change]
        load = open("/proc/loadavg").read().split()[:3]
        ours = self.start([self.exporter, "--web.listen-address=127.0.0.1:%d" % OURS_PORT,
                           "--config.file=" + self.config(private)] + args,
                          OURS_PORT, "ours")
        kumina = self.start(["prometheus-postfix-exporter",
                             "--web.listen-address=127.0.0.1:%d" % KUMINA_PORT,
                             "--postfix.logfile_path=" + self.empty_log],
                            KUMINA_PORT, "kumina")
        try:
            o = per_scrape_ms(ours.pid, OURS_PORT, self.a.scrapes, fn)
            k = per_scrape_ms(kumina.pid, KUMINA_PORT, self.a.scrapes, fn)
            series = sum(1 for l in scrape(OURS_PORT).decode().splitlines()
                         if l and not l.startswith("#"))
            print("%-16s load %s  CPU/scrape ours %.2f ms, kumina %.2f ms, ratio %.2f;"
                  " %d series" % (name, "/".join(load), o, k, o / k if k else float("nan"),
                                  series), flush=True)
            if not change and self.a.wrk_seconds:
                print("%-16s wrk -c16 ours %s; kumina %s" % (
                    "", wrk(OURS_PORT, self.a.wrk_seconds),
                    wrk(KUMINA_PORT, self.a.wrk_seconds)), flush=True)
                if self.a.keepalive_close:
                    hdr = ["-H", "Connection: close"]
                    print("%-16s wrk close ours %s; kumina %s" % (
                        "", wrk(OURS_PORT, self.a.wrk_seconds, hdr),
                        wrk(KUMINA_PORT, self.a.wrk_seconds, hdr)), flush=True)
        finally:
            self.stop_all()

    def setup_netns(self):
        run(["ip", "link", "set", "lo", "up"])
        if self.a.rules:
            rs = run([os.path.join(ROOT, "bench", "synthetic_ruleset.sh"), str(self.a.rules)])
            subprocess.run(["nft", "-f", "-"], input=rs, text=True, check=True)
        run(["nft", "add", "table", "inet", "mfchange"])
        run(["nft", "add", "chain", "inet", "mfchange", "input",
             "{ type filter hook input priority 10; policy accept; }"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--scenarios", default="default,postfix,listen,firewall,queue,log,dns,"
                    "smtp,firewall+rule,listen+socket,queue+10files,postfix+maincf,"
                    "default+rule")
    ap.add_argument("--scrapes", type=int, default=100)
    ap.add_argument("--wrk-seconds", type=int, default=6)
    ap.add_argument("--rules", type=int, default=0)
    ap.add_argument("--queue", type=int, default=10000)
    ap.add_argument("--keepalive-close", action="store_true")
    ap.add_argument("--inside", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if not a.inside:
        ns = "mfcost%d" % os.getpid()
        run(["ip", "netns", "add", ns])
        try:
            return subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                                   os.path.abspath(__file__), "--inside", ns] +
                                  sys.argv[1:]).returncode
        finally:
            subprocess.run(["ip", "netns", "del", ns])
    b = Bench(a)
    try:
        b.setup_netns()
        print("mailflow_exporter %s (%s), %d scrapes per figure, rules %d, queue %d" % (
            b.exporter, run([b.exporter, "--version"]).strip().splitlines()[0]
            if os.path.exists(b.exporter) else "?", a.scrapes, a.rules, a.queue), flush=True)
        for s in a.scenarios.split(","):
            b.scenario(s)
    finally:
        b.stop_all()
        for s in b.sockets:
            s.close()
        shutil.rmtree(b.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
