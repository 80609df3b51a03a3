"""The whole chain on one host, for tests and scripts/demo: a private Postfix
instance, the real exporter, Prometheus with the shipped alert and recording
rules, Alertmanager with the shipped configuration, and a webhook receiver.

Everything runs inside a network namespace the stack creates, so Postfix can
bind port 25 and inet_interfaces = all without touching the host's network;
the only traffic is loopback inside that namespace.
"""

import harness
from harness import (Alertmanager, Exporter, PostfixInstance, Prometheus, Webhook,
                     wait_for)
from netns import NetnsPair


class Breakage:
    """One way to break Postfix: what pages (the cause), which symptoms must
    stay quiet (inhibited, yet firing in Prometheus), and the repair."""

    def __init__(self, name, cause, receiver, brk, repair, symptoms=(), after_cause=None,
                 hint="", quiet=()):
        self.name, self.cause, self.receiver = name, cause, receiver
        self.brk, self.repair, self.symptoms = brk, repair, set(symptoms)
        # Alerts that must not page either, though they need not fire.
        self.quiet = set(quiet)
        self.after_cause = after_cause  # extra breakage once the cause pages
        self.hint = hint


def _restart_with(pf, **params):
    pf.set(**params)
    pf.restart()


def _down(pf):
    pf.stop()


def _up_again(pf):
    pf.start()


def _comment_smtp(pf):
    pf.postconf("-M#", "25/inet")
    pf.reload()


def _enable_smtp(pf):
    pf.set_smtp_service("25")
    pf.reload()


def _loopback_then_all_without_restart(pf):
    # The classic: inet_interfaces fixed in main.cf, only reloaded.
    pf.set(inet_interfaces="loopback-only")
    pf.restart()
    pf.set(inet_interfaces="all")
    pf.reload()


BREAKAGES = {
    "loopback-only": Breakage(
        "loopback-only", "PostfixListeningLoopbackOnly", "pager",
        lambda pf: _restart_with(pf, inet_interfaces="loopback-only"),
        lambda pf: _restart_with(pf, inet_interfaces="all"),
        hint="postconf -e inet_interfaces=all; postfix stop; postfix start"),
    "smtp-disabled": Breakage(
        "smtp-disabled", "PostfixSMTPServiceDisabled", "pager", _comment_smtp, _enable_smtp,
        hint="uncomment the smtp line in master.cf; postfix reload"),
    # The self-probe of port 25 fails with "refused": a consequence.
    "postfix-down": Breakage(
        "postfix-down", "PostfixDown", "pager", _down, _up_again,
        symptoms={"InboundSelfProbeFailing"},
        hint="postfix check; postfix start"),
    "config-not-applied": Breakage(
        "config-not-applied", "PostfixConfigNotApplied", "pager",
        _loopback_then_all_without_restart, lambda pf: pf.restart(),
        # PostfixListeningLoopbackOnly excludes this case in its expression
        # (and is inhibited by it too): it must never page here.
        quiet={"PostfixListeningLoopbackOnly"},
        hint="postfix stop; postfix start (reload does not rebind listeners)"),
}


class Stack:
    """monitoring=False: only Postfix and the exporter (no Prometheus,
    Alertmanager or webhook), for tests that look at the exporter itself."""

    def __init__(self, monitoring=True):
        self.pair = NetnsPair("stk")
        ns = self.pair.a
        self.pf = PostfixInstance(netns=ns)
        self.pf.postconf("-MX", "127.0.0.1:%d/inet" % self.pf.smtp_port)
        self.pf.smtp_port = 25
        self.pf.set_smtp_service("25")
        self.pf.set(inet_interfaces="all")
        self.pf.start()
        # The inbound self-probe of what Postfix listens on (port 25 on the
        # namespace's address), every second.
        self.exporter = Exporter(config=harness.exporter_config(
            self.pf, collectors="  smtp:\n    self_probe_addresses: auto\n"
                                "    interval: 1s\n    timeout: 2s\n"), netns=ns).start()
        self.webhook = self.am = self.prom = None
        if not monitoring:
            return
        self.webhook = Webhook(netns=ns)
        self.am = Alertmanager(self.webhook, netns=ns).start()
        # Every `for:` divided by 60 (PostfixDown 2m -> 2s, the self-probe
        # 10m -> 10s): causes still fire before their symptoms, as in
        # production.
        rules = harness.scaled_rules(harness.tmpdir())
        self.prom = Prometheus([self.exporter.address], rules, alertmanager=self.am.address,
                               netns=ns).start()

    def notifications(self, receiver=None):
        """[(receiver, status, alertname, labels)] of every alert in every
        notification received so far."""
        out = []
        for n in self.webhook.notifications():
            r = n["path"].strip("/")
            if receiver and r != receiver:
                continue
            for a in n["body"]["alerts"]:
                out.append((r, a["status"], a["labels"]["alertname"], a["labels"]))
        return out

    def wait_notification(self, receiver, status, alertname, timeout=60):
        return wait_for(lambda: [n for n in self.notifications(receiver)
                                 if n[1] == status and n[2] == alertname], timeout,
                        interval=0.5, what="%s %s notification for %s (got %s)" % (
                            receiver, status, alertname, self.notifications()))

    def firing(self):
        return {a["alertname"] for a in self.prom.firing()}

    def stop(self):
        for part in (self.prom, self.am, self.webhook, self.exporter):
            if part:
                part.stop()
        self.pf.stop()
        self.pair.delete()
