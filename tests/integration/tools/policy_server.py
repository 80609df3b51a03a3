#!/usr/bin/env python3
"""A Postfix SMTP access policy server for tests (policy delegation
protocol, stdlib only): answers "action=OK" when the request's sender is
--ok-sender, else "action=DUNNO". Prints "ready PORT" once bound.

usage: policy_server.py --addr 127.0.0.1 --port 0 --ok-sender ADDR"""
import argparse
import socket
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        attrs = {}
        for raw in self.rfile:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if line:
                key, _, value = line.partition("=")
                attrs[key] = value
                continue
            ok = attrs.get("sender", "").lower() == self.server.ok_sender
            self.wfile.write(b"action=OK\n\n" if ok else b"action=DUNNO\n\n")
            self.wfile.flush()
            attrs = {}


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ok-sender", required=True)
    a = ap.parse_args()
    srv = Server((a.addr, a.port), Handler)
    srv.ok_sender = a.ok_sender.lower()
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
