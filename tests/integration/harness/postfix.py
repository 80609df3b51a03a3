"""A private Postfix instance (postconf -c DIR, postfix -c DIR start) and
smtp-sink peers, on loopback or inside a test's network namespace."""
import contextlib
import os
import shutil
import subprocess

from .process import _port_listening, free_port, on_exit, run, start_process, tmpdir, wait_for

def make_postfix_dirs(obj, prefix):
    """Sets obj.dir (a fresh directory), obj.etc, obj.spool, obj.data (owned
    by postfix) and obj.log_file for a private Postfix instance."""
    obj.dir = tmpdir(prefix)
    os.chmod(obj.dir, 0o755)
    obj.etc = os.path.join(obj.dir, "etc")
    obj.spool = os.path.join(obj.dir, "spool")
    obj.data = os.path.join(obj.dir, "data")
    obj.log_file = os.path.join(obj.dir, "postfix.log")
    for d in (obj.etc, obj.spool, obj.data):
        os.makedirs(d)
    shutil.chown(obj.data, "postfix", "postfix")


class PostfixInstance:
    """A private Postfix instance in a temp dir: own main.cf/master.cf (from
    Debian's master.cf), queue and data directory, no chroot, smtpd on
    127.0.0.1:<port>, logging to DIR/postfix.log. Never touches /etc/postfix
    or /var/spool/postfix. Stopped at exit.

    relay_port: where mail is relayed ([127.0.0.1]:relay_port); by default a
    port where nothing listens, so mail defers with "Connection refused".
    """

    def __init__(self, smtp_port=None, relay_port=None, main_cf_extra="", netns=None):
        make_postfix_dirs(self, "mailflow-postfix-")
        self.netns = netns  # run the instance inside this network namespace
        self.smtp_port = smtp_port or free_port()
        self.relay_port = relay_port or free_port()
        shutil.copy("/etc/postfix/master.cf", os.path.join(self.etc, "master.cf"))
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(self._main_cf() + main_cf_extra)
        self.postconf("-F", "*/*/chroot = n")
        self.postconf("-M#", "smtp/inet")
        self.set_smtp_service("127.0.0.1:%d" % self.smtp_port)
        run(["postfix", "-c", self.etc, "check"])
        self.running = False
        on_exit(self.stop)

    def _main_cf(self):
        return """compatibility_level = 3.6
queue_directory = {spool}
data_directory = {data}
syslog_name = postfix
maillog_file = {log}
maillog_file_prefixes = /tmp, /var, /dev/stdout
myhostname = test.mailflow-ci.test
mydomain = mailflow-ci.test
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:{relay}
smtp_dns_support_level = disabled
smtp_connect_timeout = 2s
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 4000s
maximal_queue_lifetime = 5d
bounce_queue_lifetime = 5d
""".format(spool=self.spool, data=self.data, log=self.log_file, relay=self.relay_port)

    def postconf(self, *args):
        return run(["postconf", "-c", self.etc] + list(args))

    def set(self, **params):
        """postconf -e name=value for each parameter."""
        self.postconf("-e", *["%s=%s" % kv for kv in params.items()])

    def set_smtp_service(self, name, line_rest="inet n - n - - smtpd"):
        self.postconf("-M", "%s/inet=%s %s" % (name, name, line_rest))

    def master_cf(self):
        return os.path.join(self.etc, "master.cf")

    def _ns(self, cmd):
        return (["ip", "netns", "exec", self.netns] if self.netns else []) + cmd

    def listening(self, port=None):
        """Whether something listens on the port (in the instance's netns)."""
        port = port or self.smtp_port
        out = run(self._ns(["ss", "-Htln", "sport = :%d" % port]), check=False)
        return bool(out.strip())

    def start(self, wait_port=True):
        run(self._ns(["postfix", "-c", self.etc, "start"]))
        self.running = True
        if wait_port:
            wait_for(self.listening, 15, what="postfix smtpd")
        else:
            wait_for(lambda: _pid_alive(os.path.join(self.spool, "pid", "master.pid")),
                     15, what="postfix master")
        return self

    def stop(self):
        if self.running:
            run(["postfix", "-c", self.etc, "stop"], check=False)
            self.running = False
            # master exits asynchronously; wait for its pid file to go
            pid = os.path.join(self.spool, "pid", "master.pid")
            with contextlib.suppress(TimeoutError):
                wait_for(lambda: not os.path.exists(pid) or not _pid_alive(pid), 15,
                         what="postfix master to exit")

    def reload(self):
        run(["postfix", "-c", self.etc, "reload"])

    def restart(self, wait_port=True):
        self.stop()
        self.start(wait_port)

    def master_pid(self):
        with open(os.path.join(self.spool, "pid", "master.pid")) as f:
            return int(f.read().strip())


def _pid_alive(pidfile):
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    return os.path.exists("/proc/%d" % pid)


def smtp_sink(verbose_log=None):
    """A real smtp-sink on 127.0.0.1:<free port>, killed at exit; returns the
    port. With `verbose_log` (an open file) it runs with -v and logs each
    connection there ("connect (AF_INET ...)")."""
    port = free_port()
    cmd = ["smtp-sink"] + (["-v"] if verbose_log else []) + [
        "-u", "nobody", "127.0.0.1:%d" % port, "100"]
    start_process(cmd, stdout=verbose_log or subprocess.DEVNULL,
                  stderr=subprocess.STDOUT if verbose_log else subprocess.DEVNULL)
    wait_for(lambda: _port_listening(port), 10, what="smtp-sink")
    return port
