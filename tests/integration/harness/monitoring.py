"""Real Prometheus and Alertmanager, a webhook receiver, and the shipped
alert/recording rules rendered with shorter `for:` durations."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from .paths import SOURCE_DIR, TOOLS
from .process import free_port, on_exit, terminate, tmpdir, wait_for
from .web import _ns, http_in

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


AM_CONFIG = os.path.join(SOURCE_DIR, "dashboards", "alertmanager", "alertmanager.yml")


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
