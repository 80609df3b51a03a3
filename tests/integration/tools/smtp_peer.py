#!/usr/bin/env python3
"""A small SMTP peer for the smtp collector's tests (stdlib only).

usage: smtp_peer.py MODE ADDR PORT [CERT KEY]
MODE:
  silent    accept connections and never greet (banner_timeout)
  greet554  greet with "554 5.3.2 service unavailable" (banner_error)
  starttls  greet 220, EHLO advertises STARTTLS, STARTTLS with CERT/KEY
  badtls    advertise STARTTLS, answer 220, then send garbage (tls_error)
  smtps     TLS from the first byte (port 465 style) with CERT/KEY
Serves until killed; every connection lives at most 30 s.
"""
import socket
import ssl
import sys
import threading

MODE, ADDR, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
CERT = sys.argv[4] if len(sys.argv) > 4 else None
KEY = sys.argv[5] if len(sys.argv) > 5 else None


def lines(f):
    for _ in range(50):  # bounded dialogue
        line = f.readline(1024)
        if not line:
            return
        yield line.strip().upper()


def dialogue(conn):
    conn.settimeout(30)
    if MODE == "silent":
        conn.recv(1024)  # until the client gives up
        return
    if MODE == "greet554":
        conn.sendall(b"554 5.3.2 service unavailable\r\n")
        conn.recv(1024)
        return
    if MODE == "smtps":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        conn = ctx.wrap_socket(conn, server_side=True)
    conn.sendall(b"220 peer.test ESMTP smtp_peer\r\n")
    f = conn.makefile("rb")
    for line in lines(f):
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            if MODE == "smtps":
                conn.sendall(b"250-peer.test\r\n250 8BITMIME\r\n")
            else:
                conn.sendall(b"250-peer.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
        elif line == b"STARTTLS":
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            if MODE == "badtls":
                conn.sendall(b"this is not a TLS server hello\r\n" * 4)
                return
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(CERT, KEY)
            tls = ctx.wrap_socket(conn, server_side=True)
            tf = tls.makefile("rb")
            for l2 in lines(tf):
                if l2.startswith(b"EHLO"):
                    tls.sendall(b"250-peer.test\r\n250 8BITMIME\r\n")
                elif l2 == b"QUIT":
                    tls.sendall(b"221 2.0.0 Bye\r\n")
                    return
                else:
                    tls.sendall(b"502 5.5.2 not here\r\n")
            return
        elif line == b"QUIT":
            conn.sendall(b"221 2.0.0 Bye\r\n")
            return
        else:
            conn.sendall(b"502 5.5.2 not here\r\n")


def handle(conn):
    try:
        dialogue(conn)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    family = socket.AF_INET6 if ":" in ADDR else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR, PORT))
    srv.listen(512)
    print("listening", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
