"""End-to-end /metrics of the real exporter on a fixture tree, node_exporter style.

tests/fixtures/e2e/ holds a Postfix config dir, a /proc tree (socket tables,
fd links, comm files), a host /etc and a queue directory. The exporter is
pointed at them by its path settings; its /metrics, minus values that change
run to run, must equal tests/fixtures/e2e/metrics.golden byte for byte.
UPDATE_GOLDEN=1 rewrites the golden file (review the diff before committing).
Also: `promtool check metrics` is clean on the full output.
"""
import difflib
import os
import re
import shutil
import subprocess
import unittest

import harness
from harness import Exporter

FIXTURE = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "e2e")
GOLDEN = os.path.join(FIXTURE, "metrics.golden")
# Values that differ between runs or builds.
VOLATILE = re.compile(r"^(# (HELP|TYPE) )?(process_|mailflow_collector_duration_seconds|"
                      r"mailflow_config_last_reload_success_timestamp_seconds|"
                      r"mailflow_exporter_build_info|mailflow_exporter_collections_total)")
COLLECTORS = ["postfix", "listen"]


def prepare_tree():
    root = harness.tmpdir("mailflow-golden-")
    tree = os.path.join(root, "e2e")
    shutil.copytree(FIXTURE, tree, symlinks=True)
    main_cf = os.path.join(tree, "postfix", "main.cf")
    with open(main_cf) as f:
        text = f.read().replace("@ROOT@", tree)
    with open(main_cf, "w") as f:
        f.write(text)
    return tree


class GoldenMetricsTest(unittest.TestCase):
    def test_fixture_tree_metrics(self):
        tree = prepare_tree()
        config = ("paths:\n  postfix_config_directory: {t}/postfix\n  proc: {t}/proc\n"
                  "  etc: {t}/etc\n".format(t=tree))
        args = ["--collector.disable-defaults"] + ["--collector." + c for c in COLLECTORS]
        with Exporter(config=config, args=args) as e:
            text = e.scrape_text()
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        # The tree's temp path (in config_directory labels) as in main.cf.
        stable = "".join(l.replace(tree, "@ROOT@") + "\n" for l in text.splitlines()
                         if not VOLATILE.match(l))
        if os.environ.get("UPDATE_GOLDEN") == "1":
            with open(GOLDEN, "w") as f:
                f.write(stable)
        with open(GOLDEN) as f:
            want = f.read()
        if stable != want:
            diff = "".join(difflib.unified_diff(want.splitlines(True), stable.splitlines(True),
                                                "metrics.golden", "actual"))
            self.fail("/metrics differs from the golden file:\n" + diff)


if __name__ == "__main__":
    unittest.main()
