#!/usr/bin/env python3
"""A hostile SMTP peer that drips a long greeting one byte at a time.

  drip_peer.py HOST PORT [LINES] [LINE_LENGTH] [GAP_SECONDS]

Accepts connections on HOST:PORT (loopback or a test namespace); to each it
sends a multi-line 220 greeting of LINES lines ("220-xxx...", LINE_LENGTH
bytes each with CRLF, then "220 ok") one byte per send() with TCP_NODELAY
and GAP_SECONDS between bytes, so that the client reads it in tiny pieces,
then QUIT's 221 when asked. Prints "connections N" to stdout on each
accept (flushed). One connection at a time; runs until killed.
"""
import socket
import sys
import time


def greeting(lines, length):
    body = "".join("220-" + "x" * (length - 6) + "\r\n" for _ in range(lines))
    return (body + "220 ok\r\n").encode()


def main(argv):
    host, port = argv[1], int(argv[2])
    lines = int(argv[3]) if len(argv) > 3 else 127
    length = int(argv[4]) if len(argv) > 4 else 500
    gap = float(argv[5]) if len(argv) > 5 else 0.0
    data = greeting(lines, length)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(8)
    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        print("connections %d" % n, flush=True)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for i in range(len(data)):
                conn.send(data[i:i + 1])
                time.sleep(gap)  # even 0 yields the CPU: one byte per read
            conn.settimeout(10)
            if conn.recv(1024):
                conn.sendall(b"221 bye\r\n")
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
