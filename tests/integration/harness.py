"""Shared harness for mailflow_exporter's integration tests (stdlib only).

Real components only: the real exporter binary, private Postfix instances,
Prometheus, DNS servers, network namespaces. Everything listens on 127.0.0.1
or inside namespaces the test creates, every wait is bounded, and every
resource is registered for cleanup (also when a test fails or is killed).
"""
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get(
    "MAILFLOW_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("MAILFLOW_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
EXPORTER = os.environ.get(
    "MAILFLOW_EXPORTER", os.path.join(BUILD_DIR, "exporter", "mailflow_exporter"))

_cleanups = []


def on_exit(fn):
    """Registers fn to run at interpreter exit (LIFO), even after failures."""
    _cleanups.append(fn)
    return fn


def start_process(cmd, **kw):
    """Starts a long-running helper (subprocess.Popen arguments); killed at
    exit if it still runs."""
    p = subprocess.Popen(cmd, **kw)

    def stop():
        if p.poll() is None:
            p.kill()
            p.wait(10)
    on_exit(stop)
    return p


@atexit.register
def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print("cleanup failed:", e)


def _term(signum, frame):
    _run_cleanups()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _term)


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls pred() until truthy; returns its value or raises TimeoutError."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


def terminate(proc, timeout=10):
    """SIGTERM, then SIGKILL after `timeout` seconds; no-op if exited."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tmpdir(prefix="mailflow-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    on_exit(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def run(cmd, check=True, **kw):
    """Runs a command (argv list, never a shell string) and returns stdout."""
    kw.setdefault("timeout", 120)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (
            " ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


def http(url, data=None, headers=None, timeout=30):
    """Returns (status, headers, body bytes); never raises on HTTP errors.
    A connection failure is status 0."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except (urllib.error.URLError, ConnectionError) as e:
        return 0, {}, str(e).encode()


def http_in(netns, url, data=None, headers=None, timeout=60):
    """(status, body bytes) of a request made from inside network namespace
    `netns` (curl under ip netns exec), or directly when netns is None.
    A connection failure is status 0."""
    if not netns:
        status, _, body = http(url, data=data, headers=headers, timeout=timeout)
        return status, body
    cmd = ["ip", "netns", "exec", netns, "curl", "-s", "-o", "-",
           "-w", "\n%{http_code}", "--max-time", str(timeout)]
    for k, v in (headers or {}).items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if data is not None:
        cmd += ["-X", "POST", "--data-binary", data.decode() or ""]
    out = subprocess.run(cmd + [url], stdout=subprocess.PIPE, timeout=timeout + 30).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code or 0), body


def _ns(netns, cmd):
    return (["ip", "netns", "exec", netns] if netns else []) + cmd


# --- Prometheus text format ---------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Returns a list of (name, {label: value}, float value)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("unparsable sample line: %r" % line)
        labels = dict(_LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


class Metrics:
    """A parsed /metrics body with lookups."""

    def __init__(self, text):
        self.text = text
        self.samples = parse_metrics(text)

    def find(self, name, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(x) for k, x in labels.items())]

    def get(self, name, **labels):
        """The single value of name{labels}; None when absent."""
        found = self.find(name, **labels)
        if len(found) > 1:
            raise AssertionError("%s%r matches %d samples" % (name, labels, len(found)))
        return found[0][1] if found else None

    def has(self, name):
        return any(n == name for n, _, _ in self.samples)


# --- the exporter under test ---------------------------------------------

class Exporter:
    """Runs the real exporter binary on 127.0.0.1:<free port>."""

    def __init__(self, args=(), config=None, workdir=None, env=None, netns=None,
                 prefix=(), web_config=None):
        self.workdir = workdir or tmpdir("mailflow-exporter-")
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.workdir, "mailflow.yml")
            with open(self.config_path, "w") as f:
                f.write(config)
        self.args = list(args)
        # web_config: text of a --web.config.file (TLS, basic auth, headers);
        # with TLS in it, url() says https.
        self.web_config_path = None
        self.scheme = "http"
        if web_config is not None:
            self.web_config_path = os.path.join(self.workdir, "web.yml")
            with open(self.web_config_path, "w") as f:
                f.write(web_config)
            if "cert_file" in web_config:
                self.scheme = "https"
        self.env = env
        self.netns = netns  # run inside this network namespace
        self.prefix = list(prefix)  # e.g. setpriv ... before the binary
        self.proc = None
        self.log_path = os.path.join(self.workdir, "exporter.log")
        self.address = None

    def start(self):
        cmd = self.prefix + [EXPORTER, "--web.listen-address=127.0.0.1:0",
                             "--log.level=debug"]
        if self.config_path:
            cmd.append("--config.file=" + self.config_path)
        if self.web_config_path:
            cmd.append("--web.config.file=" + self.web_config_path)
        cmd += self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=self.env)
        on_exit(self.stop)

        def bound():
            if self.proc.poll() is not None:
                raise RuntimeError("exporter exited %d: %s" % (self.proc.returncode, self.log()))
            m = re.search(r"listening on ([0-9.]+:[0-9]+)", self.log())
            return m and m.group(1)
        self.address = wait_for(bound, 10, what="exporter to listen")
        return self

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def url(self, path="/metrics"):
        return "%s://%s%s" % (self.scheme, self.address, path)

    def get(self, path="/metrics", headers=None, data=None):
        """(status, body bytes) of a request, from inside the exporter's netns."""
        return http_in(self.netns, self.url(path), data=data, headers=headers)

    def scrape_text(self, timeout_header=None):
        headers = {}
        if timeout_header is not None:
            headers["X-Prometheus-Scrape-Timeout-Seconds"] = str(timeout_header)
        status, body = self.get("/metrics", headers=headers)
        if status != 200:
            raise AssertionError("scrape returned %d: %r" % (status, body[:500]))
        return body.decode()

    def scrape(self, timeout_header=None):
        return Metrics(self.scrape_text(timeout_header))

    def reload(self, via="http"):
        """via="http": POST /-/reload, returns (status, body); "signal": SIGHUP."""
        if via == "http":
            return self.get("/-/reload", data=b"")
        self.proc.send_signal(signal.SIGHUP)
        return None

    def rewrite_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def stop(self):
        terminate(self.proc)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def exporter_config(pf, smtp_ports=None, collectors="", role="mx"):
    """A config for an exporter watching instance `pf` with every collector
    on its defaults, except what must not leak into tests: the log collector
    follows the instance's own log file, the dns collector reads a
    resolv.conf naming 127.0.0.1 (never the host's resolver; it probes
    nothing anyway without configured domains). The instance is declared an
    MX (`role`; None: guessed from its main.cf, which for a private instance
    on loopback says null_client). `collectors` is extra YAML under
    `collectors:` (indented by 2)."""
    resolv = os.path.join(pf.dir, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\n")
    text = ("paths:\n  postfix_config_directory: %s\n" % pf.etc)
    if smtp_ports is not None:
        text += "smtp_ports: [%s]\n" % ", ".join(str(p) for p in smtp_ports)
    text += ("collectors:\n"
             "  log:\n    source: file\n    path: %s\n    start_at: beginning\n"
             "  dns:\n    resolv_conf: %s\n" % (pf.log_file, resolv))
    if role:
        text += "  postfix:\n    role: %s\n" % role
    return text + collectors


# --- a private Postfix instance ------------------------------------------

def _port_listening(port, host="127.0.0.1"):
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


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


def start_concurrently(fn, items, what, timeout=180):
    """Calls fn(item) for every item in its own thread (independent Postfix
    hosts start in parallel) and raises one AssertionError naming every
    item whose call failed (str(item): the error)."""
    errors = []

    def call(item):
        try:
            fn(item)
        except Exception as e:  # reported below, with the item's name
            errors.append("%s: %s" % (item, e))
    threads = [threading.Thread(target=call, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if errors:
        raise AssertionError("%s failed to start: %s" % (what, errors))


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


# --- Prometheus -----------------------------------------------------------

RULES_DIR = os.path.join(SOURCE_DIR, "dashboards", "alerts")


def fast_rules(dest_dir, rules_dir=RULES_DIR, for_duration="1s"):
    """Copies the shipped alert rules (not their promtool tests) to dest_dir
    with every `for:` shortened, so alerts fire within seconds. Expressions,
    labels and annotations stay exactly as shipped. Returns the file paths."""
    out = []
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".yml") or name.endswith("_test.yml"):
            continue
        with open(os.path.join(rules_dir, name)) as f:
            text = re.sub(r"(?m)^(\s+for:\s*)\S+", r"\g<1>" + for_duration, f.read())
        path = os.path.join(dest_dir, name)
        with open(path, "w") as f:
            f.write(text)
        out.append(path)
    return out


RECORDING_DIR = os.path.join(SOURCE_DIR, "dashboards", "recording")


def shipped_rules(dest_dir, for_duration="1s"):
    """The shipped alert rules (fast_rules) plus the recording rules."""
    out = fast_rules(dest_dir, for_duration=for_duration)
    for name in sorted(os.listdir(RECORDING_DIR)):
        if name.endswith(".yml") and not name.endswith("_test.yml"):
            out.append(os.path.join(RECORDING_DIR, name))
    return out


def grafana_to_promql(expr):
    """A dashboard query with Grafana's variables filled in for a test."""
    return (expr.replace("$job", "mailflow").replace("$postfix_instance", ".*")
            .replace("$instance", ".*")
            .replace("$__rate_interval", "30s").replace("$__interval", "5s")
            .replace("$__range", "1m"))


DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


class Prometheus:
    """A real Prometheus on 127.0.0.1 scraping the given targets every second
    and evaluating rule files every second."""

    def __init__(self, targets, rule_files=(), job="mailflow", alertmanager=None,
                 extra_scrape_configs="", netns=None):
        self.netns = netns
        self.job = job
        self.dir = tmpdir("mailflow-prom-")
        self.port = free_port()
        rules = "".join("  - %s\n" % r for r in rule_files)
        am = ""
        if alertmanager:
            am = ("alerting:\n  alertmanagers:\n    - static_configs:\n"
                  "        - targets: ['%s']\n" % alertmanager)
        tg = ", ".join("'%s'" % t for t in targets)
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    + ("rule_files:\n" + rules if rules else "") + am +
                    "scrape_configs:\n  - job_name: %s\n    static_configs:\n"
                    "      - targets: [%s]\n" % (job, tg) + extra_scrape_configs)
        self.proc = None

    def start(self):
        log = self._log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(_ns(self.netns,
            ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--rules.alert.resend-delay=1s", "--log.level=warn"]),
            stdout=log, stderr=subprocess.STDOUT)
        on_exit(self.stop)
        wait_for(lambda: http_in(self.netns, self.url("/-/ready"))[0] == 200, 60,
                 interval=0.2, what="prometheus ready")
        return self

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def api(self, path, **params):
        import json
        import urllib.parse
        status, body = http_in(self.netns,
                               self.url(path + "?" + urllib.parse.urlencode(params)))
        data = json.loads(body)
        if data.get("status") != "success":
            raise AssertionError("%s %r: %s" % (path, params, data))
        return data["data"]

    def query(self, expr):
        return self.api("/api/v1/query", query=expr)["result"]

    def panels_without_data(self, panels, check_style=True):
        """Runs every target of the (non-row) panels; returns "title: expr"
        for each query that returned nothing. Raises on a query that does not
        parse. With check_style, also asserts the dashboard conventions
        (datasource variable, a unit, job/instance filters)."""
        empty = []
        for panel in panels:
            if panel.get("type") == "row":
                continue
            if check_style:
                assert panel.get("datasource", DATASOURCE) == DATASOURCE, panel["title"]
                assert "unit" in panel["fieldConfig"]["defaults"], panel["title"]
            for t in panel.get("targets", []):
                if check_style and "mailflow:" not in t["expr"]:
                    assert 'job=~"$job",instance=~"$instance"' in t["expr"], t["expr"]
                if not self.query(grafana_to_promql(t["expr"])):
                    empty.append("%s: %s" % (panel["title"], t["expr"]))
        return empty

    def row_panels_without_data(self, row_file, targets=1, settle=3):
        """Waits until `targets` targets of the job are up, then `settle`
        seconds more (a few samples for rate()), and returns
        panels_without_data() of dashboards/grafana/rows/ROW_FILE."""
        with open(os.path.join(SOURCE_DIR, "dashboards", "grafana", "rows", row_file)) as f:
            row = json.load(f)
        assert row[0]["type"] == "row", row_file
        wait_for(lambda: len(self.query('up{job="%s"} == 1' % self.job)) == targets, 30,
                 what="first scrapes of %d targets" % targets)
        time.sleep(settle)
        return self.panels_without_data(row)

    def firing(self):
        """Alerts in state firing: list of label dicts."""
        return [a["labels"] for a in self.api("/api/v1/alerts")["alerts"]
                if a["state"] == "firing"]

    def stop(self):
        terminate(self.proc, 20)
        if getattr(self, "_log", None):
            self._log.close()


# --- Alertmanager and a webhook receiver -----------------------------------

AM_CONFIG = os.path.join(SOURCE_DIR, "dashboards", "alertmanager", "alertmanager.yml")
TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools")


class Webhook:
    """tools/webhook.py on 127.0.0.1: records every notification."""

    def __init__(self, netns=None):
        self.netns = netns
        self.dir = tmpdir("mailflow-webhook-")
        self.port = free_port()
        self.out = os.path.join(self.dir, "notifications.jsonl")
        open(self.out, "w").close()
        self.proc = subprocess.Popen(_ns(netns, [sys.executable, os.path.join(TOOLS, "webhook.py"),
                                                 str(self.port), self.out]))
        on_exit(self.stop)
        wait_for(lambda: http_in(netns, "http://127.0.0.1:%d/" % self.port)[0] != 0, 10,
                 what="webhook receiver")

    def notifications(self):
        import json
        with open(self.out) as f:
            return [json.loads(l) for l in f if l.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Alertmanager:
    """A real Alertmanager on 127.0.0.1 running the shipped configuration with
    its webhook URLs pointed at `webhook` and its timers shortened to 1s."""

    def __init__(self, webhook, config_path=AM_CONFIG, netns=None):
        self.netns = netns
        self.dir = tmpdir("mailflow-am-")
        self.port = free_port()
        with open(config_path) as f:
            text = f.read()
        text = re.sub(r"http://127\.0\.0\.1:\d+/", "http://127.0.0.1:%d/" % webhook.port, text)
        for key in ("group_wait", "group_interval"):
            text = re.sub(r"(?m)^(\s+%s:\s*)\S+" % key, r"\g<1>1s", text)
        self.config = os.path.join(self.dir, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(text)
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "alertmanager.log"), "w")
        self.proc = subprocess.Popen(_ns(self.netns,
            ["prometheus-alertmanager", "--config.file=" + self.config,
             "--storage.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--cluster.listen-address=", "--log.level=warn"]),
            stdout=log, stderr=subprocess.STDOUT)
        on_exit(self.stop)
        wait_for(lambda: http_in(self.netns, "http://127.0.0.1:%d/-/ready" % self.port)[0]
                 == 200, 30, interval=0.2, what="alertmanager ready")
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        terminate(self.proc)


def _duration_seconds(text):
    return sum(int(n) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[u]
               for n, u in re.findall(r"(\d+)([smhd])", text))


def scaled_rules(dest_dir, divisor=60):
    """The shipped alert rules with every `for:` divided by `divisor` (at
    least 1s), plus the recording rules: alerts keep their hysteresis against
    transients (5m -> 5s), only faster. Expressions are untouched."""
    out = []
    for name in sorted(os.listdir(RULES_DIR)):
        if not name.endswith(".yml") or name.endswith("_test.yml"):
            continue
        with open(os.path.join(RULES_DIR, name)) as f:
            text = re.sub(r"(?m)^(\s+for:\s*)(\S+)", lambda m: "%s%ds" % (
                m.group(1), max(1, _duration_seconds(m.group(2)) // divisor)), f.read())
        path = os.path.join(dest_dir, name)
        with open(path, "w") as f:
            f.write(text)
        out.append(path)
    return out + [os.path.join(RECORDING_DIR, n) for n in sorted(os.listdir(RECORDING_DIR))
                  if n.endswith(".yml") and not n.endswith("_test.yml")]


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


# --- mailflow_exporter diagnose --------------------------------------------

DIAGNOSE_SCHEMA = os.path.join(SOURCE_DIR, "docs", "diagnose.schema.json")


class Diagnosis:
    """The JSON of one `diagnose` run (validated against its schema), its
    exit status, wall time and stderr."""

    def __init__(self, doc, exit_code=None, seconds=None, stderr=""):
        import schema
        errs = schema.errors(doc, schema.load(DIAGNOSE_SCHEMA))
        if errs:
            raise AssertionError("diagnose JSON does not match its schema:\n" +
                                 "\n".join(errs[:20]))
        self.doc, self.exit_code, self.seconds, self.stderr = doc, exit_code, seconds, stderr
        self.steps = {s["id"]: s for s in doc["steps"]}

    def status(self, step):
        return self.steps[step]["status"]

    def problems(self):
        """{step id: "fail"|"warn"} of every step that is not OK or skipped."""
        return {i: s["status"] for i, s in self.steps.items() if s["status"] in ("fail", "warn")}

    def findings(self, step, status=None):
        return [f for f in self.steps[step]["findings"]
                if status is None or f["status"] == status]

    def finding(self, step, subject=None, status=None):
        """The one finding of `step` (with that subject / status)."""
        found = [f for f in self.findings(step, status)
                 if subject is None or f["subject"] == subject]
        if len(found) != 1:
            raise AssertionError("%s %r %r: %d findings in %s" % (
                step, subject, status, len(found), json.dumps(self.steps[step], indent=1)))
        return found[0]

    @staticmethod
    def evidence(finding):
        """The evidence of a finding as "TEXT [SOURCE]" lines."""
        return ["%s [%s]" % (e["text"], e["source"]) for e in finding["evidence"]]

    def __str__(self):
        return json.dumps(self.doc, indent=1)


def run_diagnose(args=(), config_path=None, netns=None, prefix=(), timeout="15s", env=None):
    """Runs `mailflow_exporter diagnose --format=json` (in `netns`, after
    `prefix`) and returns its Diagnosis. The run must end within the
    diagnose timeout plus a margin for process start and exit."""
    cmd = list(prefix) + [EXPORTER, "diagnose", "--format=json", "--timeout=" + timeout]
    if config_path:
        cmd.append("--config.file=" + config_path)
    cmd += list(args)
    start = time.monotonic()
    p = subprocess.run(_ns(netns, cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120, env=env)
    seconds = time.monotonic() - start
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise AssertionError("diagnose printed no JSON (exit %d): %s%s" % (
            p.returncode, p.stdout[:2000], p.stderr[-2000:]))
    d = Diagnosis(doc, p.returncode, seconds, p.stderr)
    if d.exit_code != doc["exit_code"]:
        raise AssertionError("exit status %d, JSON says %d" % (d.exit_code, doc["exit_code"]))
    return d


def _exporter_diagnose(self, extra_args=(), timeout="15s"):
    """`diagnose` with this exporter's config, flags, namespace and prefix:
    the same setup the test scrapes, checked by the CLI."""
    args = [a for a in self.args if not a.startswith("--web.")] + list(extra_args)
    return run_diagnose(args, self.config_path, self.netns, self.prefix, timeout, self.env)


def _exporter_board(self):
    """GET /diagnose?format=json from the running exporter: the live board."""
    status, body = self.get("/diagnose?format=json")
    if status != 200:
        raise AssertionError("/diagnose returned %d: %r" % (status, body[:500]))
    return Diagnosis(json.loads(body))


Exporter.diagnose = _exporter_diagnose
Exporter.board = _exporter_board
