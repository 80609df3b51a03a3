#!/usr/bin/env python3
"""Asks an SMTP server to relay, as a stranger would, and prints what it
answered (stdlib only).

usage: relay_probe.py PROBES_JSON
PROBES_JSON is a list of {"server": "IP:PORT", "source": "IP", "helo": NAME,
"sender": ADDR, "rcpt": ADDR}. Prints a JSON list of {"code": N, "reply":
TEXT} in the same order: the reply code to RCPT TO (0 when the connection
failed or closed before it, with the reason in "reply")."""
import json
import smtplib
import sys


def probe(p):
    host, _, port = p["server"].rpartition(":")
    try:
        with smtplib.SMTP(host, int(port), local_hostname=p["helo"], timeout=10,
                          source_address=(p["source"], 0)) as s:
            code, text = s.ehlo()
            if code != 250:
                return {"code": code, "reply": "EHLO: %s" % text.decode(errors="replace")}
            code, text = s.mail(p["sender"])
            if code != 250:
                return {"code": code, "reply": "MAIL: %s" % text.decode(errors="replace")}
            code, text = s.rcpt(p["rcpt"])
            s.rset()
            return {"code": code, "reply": text.decode(errors="replace")}
    except (smtplib.SMTPException, OSError) as e:
        return {"code": 0, "reply": "%s: %s" % (type(e).__name__, e)}


def main():
    print(json.dumps([probe(p) for p in json.loads(sys.argv[1])]))


if __name__ == "__main__":
    main()
