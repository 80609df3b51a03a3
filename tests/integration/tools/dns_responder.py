#!/usr/bin/env python3
"""A tiny authoritative DNS responder for tests (UDP, stdlib only).

Every name under --zone (default "test") is answered; behaviour comes from
labels anywhere in the query name:
  delay<N>ms   answer after N milliseconds       (MX delay300ms.slow.test)
  silent       never answer (the client times out)
  servfail     rcode SERVFAIL
  refused      rcode REFUSED
  nxdomain     rcode NXDOMAIN
  nodata       NOERROR without answers
otherwise: MX -> "10 mx1.<name>" and "20 mx2.<name>", A -> 127.0.0.2 (or
--a-address), AAAA -> NODATA, anything else -> NODATA. Names outside --zone:
REFUSED, or NXDOMAIN with --outside nxdomain (an RBL that lists nobody).
With --ptr, forward-confirmed reverse DNS for IPv4 clients: PTR of
D.C.B.A.in-addr.arpa -> h-A-B-C-D.<zone>, and A of h-A-B-C-D.<zone> -> A.B.C.D.
Options: --delay-ms adds a delay to every answer; --silent answers nothing
at all (a dead server that still owns its port, so no ICMP unreachable).
Prints "ready PORT" once bound (use --port 0 for a free port).
usage: dns_responder.py --addr 127.0.0.1 --port 0 [--zone test]
                        [--delay-ms 0] [--silent] [--a-address IP]
                        [--outside refused|nxdomain] [--ptr]"""
import argparse
import re
import socket
import struct
import sys
import threading


def parse_qname(buf, off):
    labels = []
    while True:
        n = buf[off]
        off += 1
        if n == 0:
            break
        labels.append(buf[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), off


def enc_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"


def rr(name, rtype, rdata, ttl=60):
    return enc_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


class Options:
    a_address = "127.0.0.2"
    outside = 5  # rcode for names outside the zone
    ptr = False


def answer(q, zone, extra_delay, opt=Options):
    tid, flags = struct.unpack("!HH", q[:4])
    name, off = parse_qname(q, 12)
    qtype, _ = struct.unpack("!HH", q[off:off + 4])
    question = q[12:off + 4]
    labels = [l.lower() for l in name.rstrip(".").split(".")]
    delay = extra_delay
    for l in labels:
        m = re.fullmatch(r"delay(\d+)ms", l)
        if m:
            delay += int(m.group(1)) / 1000.0
    if "silent" in labels:
        return None, 0
    lname = ".".join(labels)
    rcode, ans = 0, []
    host = re.fullmatch(r"h-(\d+)-(\d+)-(\d+)-(\d+)\." + re.escape(zone), lname)
    rev = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa", lname)
    if opt.ptr and rev:
        if qtype == 12:
            ans = [rr(name, 12, enc_name("h-%s-%s-%s-%s.%s" % (
                rev.group(4), rev.group(3), rev.group(2), rev.group(1), zone)))]
    elif not (lname == zone or lname.endswith("." + zone)):
        rcode = opt.outside
    elif opt.ptr and host:
        if qtype == 1:
            ans = [rr(name, 1, socket.inet_aton(".".join(host.groups())))]
    elif "servfail" in labels:
        rcode = 2
    elif "refused" in labels:
        rcode = 5
    elif "nxdomain" in labels:
        rcode = 3
    elif "nodata" in labels:
        pass
    elif qtype == 15:
        ans = [rr(name, 15, struct.pack("!H", 10) + enc_name("mx1." + name)),
               rr(name, 15, struct.pack("!H", 20) + enc_name("mx2." + name))]
    elif qtype == 1:
        ans = [rr(name, 1, socket.inet_aton(opt.a_address))]
    hdr = struct.pack("!HHHHHH", tid, 0x8400 | rcode | (flags & 0x0100), 1, len(ans), 0, 0)
    return hdr + question + b"".join(ans), delay


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--zone", default="test")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--a-address", default="127.0.0.2")
    ap.add_argument("--outside", choices=("refused", "nxdomain"), default="refused")
    ap.add_argument("--ptr", action="store_true")
    a = ap.parse_args()
    Options.a_address = a.a_address
    Options.outside = 3 if a.outside == "nxdomain" else 5
    Options.ptr = a.ptr
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    print("ready %d" % s.getsockname()[1], flush=True)
    zone = a.zone.lower().rstrip(".")
    lock = threading.Lock()

    def send(resp, peer):
        with lock:
            s.sendto(resp, peer)

    while True:
        q, peer = s.recvfrom(4096)
        if a.silent:
            continue
        try:
            resp, delay = answer(q, zone, a.delay_ms / 1000.0)
        except Exception as e:  # malformed query: ignore it
            print("bad query:", e, file=sys.stderr, flush=True)
            continue
        if resp is None:
            continue
        if delay > 0:
            threading.Timer(delay, send, (resp, peer)).start()
        else:
            send(resp, peer)


if __name__ == "__main__":
    main()
