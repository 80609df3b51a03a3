#!/usr/bin/env python3
"""Loopback webhook receiver for Alertmanager (stdlib only).

Appends one JSON line per POST to OUT: {"t": unix time, "path": "/pager",
"body": <Alertmanager's JSON>}.
usage: webhook.py PORT OUT
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(body)
        except ValueError:
            body = body.decode(errors="replace")
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"t": time.time(), "path": self.path, "body": body}) + "\n")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
