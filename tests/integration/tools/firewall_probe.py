#!/usr/bin/env python3
"""Helpers for tests/integration/test_firewall.py (stdlib only).

  firewall_probe.py listen PORT...
      Listens on [::]:PORT (dual stack) for each port, accepts and closes
      connections; prints "ready" once bound. Runs until killed.
  firewall_probe.py probe TIMEOUT SPEC...
      SPEC = DST,PORT,SRC (SRC may be empty). Connects to all in parallel and
      prints a JSON object {SPEC: outcome}, outcome one of: connected,
      refused, timeout, error:<ERRNO>.
  firewall_probe.py scrape URL
      Prints the body of an HTTP GET (used inside a network namespace).
"""
import errno
import json
import select
import socket
import sys
import threading
import urllib.request


def listen(ports):
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p))
        s.listen(64)
        socks.append(s)
    print("ready", flush=True)
    while True:
        r, _, _ = select.select(socks, [], [], 1.0)
        for s in r:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                pass


def probe_one(dst, port, src, timeout):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((dst, port))
        return "connected"
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "error:" + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()


def probe(timeout, specs):
    out = {}
    threads = []
    for spec in specs:
        dst, port, src = spec.split(",")

        def run(spec=spec, dst=dst, port=int(port), src=src):
            out[spec] = probe_one(dst, port, src, timeout)
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    print(json.dumps(out))


def main():
    cmd = sys.argv[1]
    if cmd == "listen":
        listen([int(p) for p in sys.argv[2:]])
    elif cmd == "probe":
        probe(float(sys.argv[2]), sys.argv[3:])
    elif cmd == "scrape":
        with urllib.request.urlopen(sys.argv[2], timeout=30) as r:
            sys.stdout.write(r.read().decode())
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
