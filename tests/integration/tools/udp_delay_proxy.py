#!/usr/bin/env python3
"""UDP DNS delay proxy (stand-in for netem, which this kernel lacks), stdlib.

Forwards each query to --upstream over one socket (DNS ids rewritten so
answers map back to their clients) and sends each answer to its client
--delay-ms after it arrived. Single-threaded (select + a timer heap), so a
burst of a thousand queries costs no thread per packet. Prints "ready PORT"
once bound (--listen-port 0: a free port).
usage: udp_delay_proxy.py --listen-port 0 --upstream 127.0.0.1:5353 --delay-ms 200
"""
import argparse
import heapq
import select
import socket
import struct
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-addr", default="127.0.0.1")
    ap.add_argument("--listen-port", type=int, default=0)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--delay-ms", type=float, default=200)
    a = ap.parse_args()
    host, port = a.upstream.rsplit(":", 1)
    upstream = (host, int(port))
    delay = a.delay_ms / 1000.0
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    front.bind((a.listen_addr, a.listen_port))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    up.connect(upstream)
    for s in (front, up):
        s.setblocking(False)
    print("ready %d" % front.getsockname()[1], flush=True)
    pending = {}   # proxy id -> (client, original id)
    timers = []    # (due, seq, packet, client)
    next_id = 0
    seq = 0
    while True:
        timeout = None
        if timers:
            timeout = max(0.0, timers[0][0] - time.monotonic())
        readable, _, _ = select.select([front, up], [], [], timeout)
        if front in readable:
            while True:
                try:
                    data, client = front.recvfrom(65535)
                except BlockingIOError:
                    break
                if len(data) < 12:
                    continue
                next_id = (next_id + 1) & 0xFFFF
                pending[next_id] = (client, data[:2])
                try:
                    up.send(struct.pack("!H", next_id) + data[2:])
                except OSError:
                    pass
        if up in readable:
            while True:
                try:
                    data = up.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if len(data) < 12:
                    continue
                (pid,) = struct.unpack("!H", data[:2])
                entry = pending.pop(pid, None)
                if entry is None:
                    continue
                client, orig = entry
                seq += 1
                heapq.heappush(timers, (time.monotonic() + delay, seq, orig + data[2:], client))
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            _, _, packet, client = heapq.heappop(timers)
            try:
                front.sendto(packet, client)
            except OSError:
                pass


if __name__ == "__main__":
    main()
