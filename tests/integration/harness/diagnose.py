"""`mailflow_exporter diagnose --format=json` runs and their documents,
validated against docs/diagnose.schema.json."""
import json
import os
import subprocess
import time

from . import paths
from .paths import SOURCE_DIR
from .web import _ns

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
    cmd = list(prefix) + [paths.EXPORTER, "diagnose", "--format=json", "--timeout=" + timeout]
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
