#!/usr/bin/env python3
"""A tiny SMTP peer for the log tests (stdlib only, 127.0.0.1 only).

RCPT TO:<grey...@...>   first time: 450 4.2.0 Greylisted (postgrey wording),
                        accepted after --delay seconds
RCPT TO:<bounce...@...> 550 5.1.1 User unknown
anything else           250
Usage: greylist_peer.py PORT [--delay SECONDS]
"""
import socketserver
import sys
import time

FIRST_SEEN = {}
DELAY = 1.0


class Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.send("220 greylist-peer.test ESMTP")
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            cmd = raw.decode(errors="replace").strip()
            up = cmd.upper()
            if up.startswith("EHLO"):
                self.wfile.write(b"250-greylist-peer.test\r\n250 8BITMIME\r\n")
                self.wfile.flush()
            elif up.startswith("HELO"):
                self.send("250 greylist-peer.test")
            elif up.startswith("MAIL"):
                self.send("250 2.1.0 Ok")
            elif up.startswith("RCPT"):
                rcpt = cmd[cmd.find("<") + 1:cmd.rfind(">")]
                local = rcpt.split("@")[0].lower()
                if local.startswith("bounce"):
                    self.send("550 5.1.1 <%s>: Recipient address rejected: User unknown" % rcpt)
                elif local.startswith("grey"):
                    first = FIRST_SEEN.setdefault(rcpt, time.monotonic())
                    if time.monotonic() - first < DELAY:
                        self.send("450 4.2.0 <%s>: Recipient address rejected: Greylisted, "
                                  "see http://postgrey.schweikert.ch/help/test.html" % rcpt)
                    else:
                        self.send("250 2.1.5 Ok")
                else:
                    self.send("250 2.1.5 Ok")
            elif up == "DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    line = self.rfile.readline(65536)
                    if not line or line in (b".\r\n", b".\n"):
                        break
                self.send("250 2.0.0 Ok: queued as GREYPEER")
            elif up == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            elif up == "RSET" or up == "NOOP":
                self.send("250 2.0.0 Ok")
            else:
                self.send("502 5.5.2 Error: command not recognized")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global DELAY
    port = int(sys.argv[1])
    if "--delay" in sys.argv:
        DELAY = float(sys.argv[sys.argv.index("--delay") + 1])
    with Server(("127.0.0.1", port), Handler) as srv:
        print("listening", flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    main()
