"""Real mail hosts for the healthy-corpus tests: a star of network namespaces
(a hub and one spoke per host), private Postfix instances built from the
files real installations ship (corpus_layouts.py says which), the services
those layouts rely on run for real (Dovecot for SASL and LMTP, amavisd-new as
the content filter, policyd-spf, a DNS server), and the exporter of each host
listening on its spoke address so that one Prometheus in the hub scrapes them
all.

Addresses exist only inside the namespaces: spoke i is 10.77.i.1, the hub's
side of its link 10.77.i.2. Each spoke's /etc/resolv.conf (bind-mounted by
`ip netns exec` from /etc/netns/SPOKE/) names a DNS server inside that spoke;
no packet leaves the namespaces.
"""
import itertools
import os
import pwd
import re
import shutil
import subprocess
import sys
import threading
import time

import harness
from harness import Exporter, on_exit, run, start_process, tmpdir, wait_for

_counter = itertools.count()
TOOLS = harness.TOOLS
EXPORTER_PORT = 10029
CORPUS_ZONE = "corpus.test"


def _ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd


class Star:
    """A hub namespace joined to `n` spoke namespaces by veth pairs."""

    def __init__(self, n, tag="c"):
        k = next(_counter)
        base = "mf%s%d%d" % (tag[:2], os.getpid() % 10000, k)
        self.hub = base + "h"
        self.spokes = [base + "s%d" % i for i in range(n)]
        self.addr = ["10.77.%d.1" % (i + 1) for i in range(n)]
        self.hub_addr = ["10.77.%d.2" % (i + 1) for i in range(n)]
        on_exit(self.delete)
        for ns in [self.hub] + self.spokes:
            run(["ip", "netns", "add", ns])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        for i, ns in enumerate(self.spokes):
            s, h = ("v%s%d%ds%d" % (tag[:1], os.getpid() % 10000, k, i))[:15], \
                   ("v%s%d%dh%d" % (tag[:1], os.getpid() % 10000, k, i))[:15]
            run(["ip", "link", "add", s, "netns", ns, "type", "veth", "peer", "name", h,
                 "netns", self.hub])
            run(["ip", "-n", ns, "addr", "add", self.addr[i] + "/24", "dev", s])
            run(["ip", "-n", self.hub, "addr", "add", self.hub_addr[i] + "/24", "dev", h])
            run(["ip", "-n", ns, "link", "set", s, "up"])
            run(["ip", "-n", self.hub, "link", "set", h, "up"])
            run(["ip", "-n", ns, "route", "add", "default", "via", self.hub_addr[i]])
            # The spoke's own resolver (ip netns exec bind-mounts this file).
            d = os.path.join("/etc/netns", ns)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "resolv.conf"), "w") as f:
                f.write("nameserver 127.0.0.1\n")

    def delete(self):
        for ns in self.spokes + [self.hub]:
            pids = subprocess.run(["ip", "netns", "pids", ns], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True).stdout.split()
            for pid in pids:
                subprocess.run(["kill", "-9", pid], stderr=subprocess.DEVNULL)
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
            shutil.rmtree(os.path.join("/etc/netns", ns), ignore_errors=True)

    def hub_popen(self, cmd, **kw):
        return start_process(_ns(self.hub, cmd), **kw)


class SpokeExporter(Exporter):
    """The exporter inside a spoke, also listening on the spoke's address
    (Prometheus in the hub scrapes that one)."""

    def __init__(self, host, config):
        super().__init__(config=config, netns=host.ns,
                         args=["--web.listen-address=%s:%d" % (host.addr, EXPORTER_PORT)])
        self.target = "%s:%d" % (host.addr, EXPORTER_PORT)


_cert_lock = threading.Lock()
_cert = {}


def test_certificate():
    """(key, cert) paths of one self-signed certificate for all hosts of the
    run, made like Debian's ssl-cert snakeoil certificate."""
    with _cert_lock:
        if not _cert:
            d = tmpdir("mailflow-corpus-cert-")
            key, crt = os.path.join(d, "snakeoil.key"), os.path.join(d, "snakeoil.pem")
            run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                 "-subj", "/CN=corpus.test", "-keyout", key, "-out", crt])
            os.chmod(d, 0o755)
            os.chmod(key, 0o644)
            _cert.update(key=key, cert=crt)
        return _cert["key"], _cert["cert"]


class CorpusHost:
    """One mail host of the corpus: spoke namespace `ns`, a private Postfix
    instance in `dir` (etc/, spool/, data/), its log in `log_file`."""

    def __init__(self, star, index, name):
        self.name, self.star, self.index = name, star, index
        self.ns = star.spokes[index]
        self.addr, self.hub_addr = star.addr[index], star.hub_addr[index]
        harness.make_postfix_dirs(self, "mailflow-corpus-%s-" % name)
        self.services = []  # callables that stop what start_* started
        self.exporter = None
        self.chrooted = False

    def __str__(self):
        return self.name

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, relpath, text, mode=0o644):
        p = self.path(relpath)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def run_ns(self, cmd, **kw):
        return run(_ns(self.ns, cmd), **kw)

    def postconf(self, *args):
        return run(["postconf", "-c", self.etc] + list(args))

    def set(self, **params):
        self.postconf("-e", *["%s=%s" % kv for kv in params.items()])

    def private_instance(self):
        """What every layout needs to run as a private instance next to the
        host's own Postfix: its own queue and data directories and a log
        file (postlogd, as Postfix >= 3.4 does without syslog)."""
        self.set(queue_directory=self.spool, data_directory=self.data,
                 maillog_file=self.log_file, maillog_file_prefixes="/tmp,/var")
        self.chrooted = any(f[4] in ("y", "-") and not f[0].startswith("#")
                            for f in self._master_fields())

    def _master_fields(self):
        with open(os.path.join(self.etc, "master.cf")) as f:
            return [l.split() for l in f if l.strip() and not l[0].isspace()
                    and not l.startswith("#") and len(l.split()) >= 8]

    def start_postfix(self):
        aliases = os.path.join(self.etc, "aliases")
        if os.path.exists(aliases) and not os.path.exists(aliases + ".db"):
            run(["postalias", "-c", self.etc, aliases])
        run(["postfix", "-c", self.etc, "check"])
        if self.chrooted:
            # What Debian's service unit runs before every start: copy
            # resolv.conf, hosts, services, ... and the NSS libraries into the
            # jail (from the spoke's view of /etc).
            self.run_ns(["/usr/lib/postfix/configure-instance.sh", "-"],
                        env=dict(os.environ, MAIL_CONFIG=self.etc))
        self.run_ns(["postfix", "-c", self.etc, "start"])
        self.services.append(lambda: run(["postfix", "-c", self.etc, "stop"], check=False))
        pid = os.path.join(self.spool, "pid", "master.pid")
        wait_for(lambda: os.path.exists(pid) and os.path.exists(self.log_file), 20,
                 interval=0.1, what="%s: master and its log" % self.name)

    def start_dns(self):
        """The spoke's resolver: MX of any name under corpus.test points at the
        hub (the "Internet" sink), clients get forward-confirmed reverse DNS,
        RBL and other outside names are NXDOMAIN (listed nowhere)."""
        p = start_process(_ns(self.ns, [
            sys.executable, os.path.join(TOOLS, "dns_responder.py"), "--addr", "127.0.0.1",
            "--port", "53", "--zone", CORPUS_ZONE, "--a-address", self.hub_addr,
            "--outside", "nxdomain", "--ptr"]), stdout=subprocess.PIPE, text=True)
        wait_for(lambda: p.stdout.readline().startswith("ready"), 20,
                 what="%s: dns responder" % self.name)

    def start_dovecot(self, auth_socket, lmtp_socket=None):
        """A private Dovecot: SASL for smtpd (any user, password "secret"),
        and LMTP delivery into Maildirs when `lmtp_socket` is given."""
        base = self.path("dovecot")
        mail = self.path("vmail")
        os.makedirs(os.path.join(base, "run"), exist_ok=True)
        os.makedirs(mail, exist_ok=True)
        os.chmod(mail, 0o1777)
        lmtp = ""
        if lmtp_socket:
            lmtp = ("service lmtp {\n  unix_listener %s {\n    mode = 0666\n  }\n}\n"
                    % lmtp_socket)
        conf = self.write("dovecot/dovecot.conf", """protocols = %(protocols)s
base_dir = %(base)s/run
state_dir = %(base)s/run/state
instance_name = %(name)s
log_path = %(base)s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%(mail)s/%%d/%%n
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%(mail)s/%%d/%%n
}
service auth {
  unix_listener %(auth)s {
    mode = 0660
    user = postfix
    group = postfix
  }
}
%(lmtp)s""" % dict(protocols="lmtp" if lmtp_socket else "none", base=base, mail=mail,
                   name="corpus-" + self.ns, auth=auth_socket, lmtp=lmtp))
        # dovecot daemonizes and keeps its parent's stdout: nothing to read.
        subprocess.run(_ns(self.ns, ["dovecot", "-c", conf]), check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.services.append(lambda: run(["doveadm", "-c", conf, "stop"], check=False))
        wait_for(lambda: os.path.exists(auth_socket), 20, interval=0.1,
                 what="%s: dovecot auth socket" % self.name)

    def start_amavis(self, listen_port=10024, forward_port=10025):
        """amavisd-new as Debian ships it, on 127.0.0.1:listen_port,
        re-injecting into Postfix on 127.0.0.1:forward_port (no virus
        scanner or SpamAssassin: both checks bypassed)."""
        conf_dir = self.path("amavis-conf")
        home = self.path("amavis")
        os.makedirs(conf_dir)
        for d in ("tmp", "db"):
            os.makedirs(os.path.join(home, d))
        shutil.chown(home, "amavis", "amavis")
        for d in ("tmp", "db"):
            shutil.chown(os.path.join(home, d), "amavis", "amavis")
        conf = os.path.join(conf_dir, "amavisd.conf")
        with open(conf, "w") as f:
            f.write("""use strict;
$daemon_user = 'amavis';
$daemon_group = 'amavis';
$MYHOME = '%(home)s';
$TEMPBASE = '%(home)s/tmp';
$db_home = '%(home)s/db';
$pid_file = '%(home)s/amavisd.pid';
$lock_file = '%(home)s/amavisd.lock';
$myhostname = 'filter.%(zone)s';
$mydomain = '%(zone)s';
$inet_socket_bind = '127.0.0.1';
$inet_socket_port = %(port)d;
$forward_method = 'smtp:[127.0.0.1]:%(fwd)d';
$notify_method = $forward_method;
$max_servers = 2;
$DO_SYSLOG = 0;
$LOGFILE = '%(home)s/amavis.log';
$log_level = 0;
@bypass_virus_checks_maps = (1);
@bypass_spam_checks_maps = (1);
@av_scanners = ();
@av_scanners_backup = ();
$enable_dkim_verification = 0;
$enable_dkim_signing = 0;
@local_domains_maps = (1);
1;
""" % dict(home=home, zone=CORPUS_ZONE, port=listen_port, fwd=forward_port))
        p = start_process(_ns(self.ns, ["amavisd", "-c", conf, "foreground"]),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.services.append(lambda: harness.terminate(p))
        wait_for(lambda: self.listening(listen_port), 60, interval=0.2,
                 what="%s: amavisd on %d" % (self.name, listen_port))

    def listening(self, port):
        return bool(self.run_ns(["ss", "-Htln", "sport = :%d" % port], check=False).strip())

    def start_exporter(self, log_yaml=None):
        """The exporter with its defaults but for the paths of this private
        instance: its log (source auto, as shipped), and the inbound
        self-probe of what Postfix listens on (self_probe_addresses: auto,
        the default 10s timeout: postscreen greets after
        postscreen_greet_wait, 6s)."""
        if log_yaml is None:
            log_yaml = "    path: %s\n" % self.log_file
        config = ("paths:\n  postfix_config_directory: %s\n"
                  "collectors:\n  log:\n    start_at: beginning\n%s"
                  "  smtp:\n    self_probe_addresses: auto\n    interval: 3s\n"
                  % (self.etc, log_yaml))
        self.exporter = SpokeExporter(self, config).start()
        self.services.append(self.exporter.stop)

    def forward_log_to_journal(self, directory, interval=1.0):
        """Journal-only logging: every `interval` the new lines of the
        instance's log become a journal file in `directory` (the journal
        export format through systemd-journal-remote, as journald would
        store them), and the instance's own log file stands for nothing the
        exporter is told about."""
        os.makedirs(directory, exist_ok=True)
        stop = threading.Event()
        state = {"offset": 0, "batch": 0}

        def batch():
            if not os.path.exists(self.log_file):
                return
            with open(self.log_file, "rb") as f:
                f.seek(state["offset"])
                data = f.read()
            end = data.rfind(b"\n") + 1
            if end == 0:
                return
            state["offset"] += end
            entries = "".join(journal_entry(l) for l in
                              data[:end].decode(errors="replace").splitlines())
            if not entries:
                return
            state["batch"] += 1
            subprocess.run(["/lib/systemd/systemd-journal-remote", "-o",
                            os.path.join(directory, "batch-%05d.journal" % state["batch"]),
                            "-"], input=entries.encode(), check=True, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def loop():
            for _ in range(3600):  # bounded: an hour
                batch()
                if stop.wait(interval):
                    return
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        self.services.append(lambda: (stop.set(), t.join(30)))
        wait_for(lambda: state["batch"] > 0, 30, interval=0.2,
                 what="%s: first journal file" % self.name)

    def stop(self):
        while self.services:
            try:
                self.services.pop()()
            except Exception as e:  # go on stopping the rest
                print("%s: stop failed: %s" % (self.name, e))


_SYSLOG = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ ([^\s\[]+)\[(\d+)\]: (.*)$")


def journal_entry(line):
    """A Postfix log line ("Dec  5 08:29:14 host postfix/smtp[123]: text") as
    a journal export-format entry the way journald stores syslog messages."""
    m = _SYSLOG.match(line)
    if not m:
        return ""
    usec = int(time.time() * 1e6)
    ident, pid, text = m.groups()
    # journald's trusted _UID: master runs as root, its children as postfix
    # (the exporter counts Postfix-tagged entries of those users only).
    uid = 0 if ident.endswith("/master") else pwd.getpwnam("postfix").pw_uid
    return ("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
            "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=postfix@-.service\n"
            "_PID=%s\n_UID=%d\n_COMM=%s\nSYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n\n" % (
                usec, usec // 1000, pid, uid, ident.rsplit("/", 1)[-1][:15], ident, text))


def uncomment_master_block(text, first_line_prefix):
    """Uncomments a commented-out master.cf service (the line starting with
    "#" + first_line_prefix) and its "#  -o ..." option lines, the way an
    administrator enables Debian's submission block. Prose comment lines in
    between stay comments (master.cf skips them inside a logical line)."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("#" + first_line_prefix):
            inside = True
            out.append(line[1:])
            continue
        if inside and line.startswith("#  -o"):
            out.append(line[1:])
            continue
        if inside and line.startswith("#     "):
            out.append(line)
            continue
        inside = False
        out.append(line)
    return "".join(out)


class Hub:
    """The rest of the Internet, seen from the spokes: SMTP sinks that accept
    every message on port 25 (the remote MX hosts) and 587 (a provider's
    smarthost), and the clients that send mail to the hosts."""

    def __init__(self, star):
        self.star = star
        self.failures = []  # (host, what) of traffic a healthy host refused
        self._lock = threading.Lock()
        for port in (25, 587):
            star.hub_popen(["smtp-sink", "-u", "nobody", "0.0.0.0:%d" % port, "256"])
        wait_for(lambda: all(run(_ns(star.hub, ["ss", "-Htln", "sport = :%d" % p]),
                                 check=False).strip() for p in (25, 587)),
                 20, interval=0.1, what="hub smtp-sink")

    def _run(self, host, what, cmd, **kw):
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120, **kw)
        if p.returncode != 0:
            with self._lock:
                self.failures.append((host.name, what, p.stdout[-500:]))

    def smtp_source(self, host, port, rcpt, count=1):
        """A remote MTA delivering `count` messages to host:port (Postfix's
        smtp-source, from the hub: forward-confirmed client name)."""
        self._run(host, "smtp-source to %s" % rcpt, _ns(self.star.hub, [
            "smtp-source", "-s", "1", "-m", str(count), "-M", "sender.%s" % CORPUS_ZONE,
            "-f", "someone@sender.%s" % CORPUS_ZONE, "-t", rcpt,
            "%s:%d" % (host.addr, port)]))

    def submit(self, host, port, tls, rcpt):
        """A mail user agent submitting one message with SASL AUTH."""
        self._run(host, "submit %s:%d %s" % (host.addr, port, tls), _ns(self.star.hub, [
            sys.executable, os.path.join(TOOLS, "submit.py"), "--server",
            "%s:%d" % (host.addr, port), "--tls", tls, "--user", "user@" + host.name,
            "--password", "secret", "--from", "user@%s.%s" % (host.name, CORPUS_ZONE),
            "--to", rcpt, "--helo", "laptop.%s" % CORPUS_ZONE]))

    def sendmail(self, host, rcpt):
        """A local program (cron, a web application) mailing through the
        host's sendmail(1)."""
        msg = "Subject: corpus\nFrom: root\n\nA message from a local program.\n"
        self._run(host, "sendmail to %s" % rcpt, _ns(host.ns, [
            "sendmail", "-C", host.etc, "-f", "root@%s.%s" % (host.name, CORPUS_ZONE), rcpt]),
            input=msg)


def prometheus(targets, rule_files, job, alertmanager, netns, scrape="10s"):
    """harness.Prometheus with a scrape interval and timeout of `scrape`
    (rules are still evaluated every second): ten exporters on two loaded
    cores need more than the 1s (0.5s deadline) the single-host tests use."""
    prom = harness.Prometheus(targets, rule_files, job=job, alertmanager=alertmanager,
                              netns=netns)
    path = os.path.join(prom.dir, "prometheus.yml")
    with open(path) as f:
        text = f.read()
    text = text.replace("scrape_interval: 1s\n  scrape_timeout: 1s",
                        "scrape_interval: %s\n  scrape_timeout: %s" % (scrape, scrape))
    with open(path, "w") as f:
        f.write(text)
    return prom.start()
