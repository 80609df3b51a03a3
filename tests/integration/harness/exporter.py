"""The exporter under test: the real binary on 127.0.0.1:<free port>, and a
config that watches a private Postfix instance."""
import json
import os
import re
import signal
import subprocess

from . import paths
from .diagnose import Diagnosis, run_diagnose
from .metrics import Metrics
from .process import on_exit, terminate, tmpdir, wait_for
from .web import http_in

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
        cmd = self.prefix + [paths.EXPORTER, "--web.listen-address=127.0.0.1:0",
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

    def diagnose(self, extra_args=(), timeout="15s"):
        """`diagnose` with this exporter's config, flags, namespace and prefix:
        the same setup the test scrapes, checked by the CLI."""
        args = [a for a in self.args if not a.startswith("--web.")] + list(extra_args)
        return run_diagnose(args, self.config_path, self.netns, self.prefix, timeout, self.env)

    def board(self):
        """GET /diagnose?format=json from the running exporter: the live board."""
        status, body = self.get("/diagnose?format=json")
        if status != 200:
            raise AssertionError("/diagnose returned %d: %r" % (status, body[:500]))
        return Diagnosis(json.loads(body))

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
