#!/usr/bin/env python3
"""An SMTP client for tests (stdlib only): sends messages the way a mail user
agent or a remote MTA does, with STARTTLS or implicit TLS (certificates are
not verified: test servers use self-signed ones) and SASL AUTH.

usage: submit.py --server HOST:PORT [--tls none|starttls|implicit]
                 [--user U --password P] [--helo NAME] --from ADDR
                 --to ADDR [--to ADDR ...] [--count N] [--timeout S]

Prints one line per message, "ok RCPT" or "fail RCPT: REPLY", and exits 1
if any message failed.
"""
import argparse
import smtplib
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--tls", choices=("none", "starttls", "implicit"), default="none")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--helo", default="client.corpus.test")
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--to", action="append", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    host, _, port = a.server.rpartition(":")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    failed = 0
    for i in range(a.count):
        for rcpt in a.to:
            try:
                if a.tls == "implicit":
                    s = smtplib.SMTP_SSL(host, int(port), local_hostname=a.helo,
                                         timeout=a.timeout, context=ctx)
                else:
                    s = smtplib.SMTP(host, int(port), local_hostname=a.helo, timeout=a.timeout)
                with s:
                    s.ehlo()
                    if a.tls == "starttls":
                        s.starttls(context=ctx)
                        s.ehlo()
                    if a.user:
                        s.login(a.user, a.password)
                    msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: corpus %d\r\n"
                           "Message-ID: <corpus-%d-%s>\r\n\r\nA test message.\r\n" % (
                               a.sender, rcpt, i, i, rcpt))
                    s.sendmail(a.sender, [rcpt], msg)
                print("ok", rcpt, flush=True)
            except (smtplib.SMTPException, OSError) as e:
                failed += 1
                print("fail %s: %s" % (rcpt, e), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
