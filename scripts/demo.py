#!/usr/bin/env python3
"""scripts/demo's driver: see scripts/demo. Standard library only."""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402
from stack import BREAKAGES, Stack  # noqa: E402


def diagnose(stack):
    """`mailflow_exporter diagnose` on the broken host: the steps that are
    not OK, with their evidence and fix (the whole checklist is longer)."""
    p = subprocess.run(["ip", "netns", "exec", stack.pair.a, harness.EXPORTER, "diagnose",
                        "--config.file=" + stack.exporter.config_path],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    show = False
    for line in p.stdout.splitlines():
        if line[:3].strip().rstrip(".").isdigit():  # a step line
            show = " OK " not in line[3:14] and "SKIPPED" not in line[3:14]
        if show or line.startswith(("mailflow_exporter", "11 steps")):
            print("  " + line)
    return p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--break", dest="mode", default="loopback-only", choices=sorted(BREAKAGES))
    args = ap.parse_args()
    b = BREAKAGES[args.mode]
    t0 = time.time()
    print("starting Postfix, mailflow_exporter, Prometheus, Alertmanager, webhook "
          "(in a private network namespace)...")
    stack = Stack()
    try:
        stack.prom.query("up")
        print("running after %.0fs; Postfix healthy, no alerts." % (time.time() - t0))
        print("\nbreaking Postfix: %s" % b.name)
        t_break = time.time()
        b.brk(stack.pf)
        print("\non the host, at once: mailflow_exporter diagnose (its failing steps)")
        rc = diagnose(stack)
        print("  (exit status %d)" % rc)
        stack.wait_notification(b.receiver, "firing", b.cause, timeout=120)
        if b.after_cause:
            b.after_cause(stack.pf)
            time.sleep(5)
        print("\nthe page that arrived (%.0fs after the break):" % (time.time() - t_break))
        for n in stack.webhook.notifications():
            for a in n["body"]["alerts"]:
                if a["status"] == "firing":
                    print("  to %s: %s [%s]" % (n["path"].strip("/"), a["labels"]["alertname"],
                                              a["labels"].get("severity")))
                    print("    summary:     %s" % a["annotations"].get("summary"))
                    print("    description: %s" % a["annotations"].get("description"))
                    print("    runbook:     %s" % a["annotations"].get("runbook_url"))
        quiet = b.symptoms & stack.firing()
        if quiet:
            print("  firing in Prometheus but inhibited (no page): %s" % ", ".join(sorted(quiet)))
        print("\nrepair: %s" % b.hint)
        b.repair(stack.pf)
        stack.wait_notification(b.receiver, "resolved", b.cause, timeout=120)
        print("resolved notification received; all clear.")
    finally:
        stack.stop()
        print("stopped everything (%.0fs in all)." % (time.time() - t0))


if __name__ == "__main__":
    main()
