"""End-to-end /metrics of the real exporter on a fixture tree, node_exporter style.

tests/fixtures/e2e/ holds a Postfix config dir, a /proc tree (socket tables,
fd links, comm files), a host /etc, a queue directory with a real deferred
message and its defer log, a real Postfix log file, and a saved nftables
ruleset behind bin/nft (a script the firewall collector runs as its
nft_path: it prints the ruleset for `nft -j list ruleset`). The exporter is
pointed at them by its path settings and collector options, with every
collector that can run from files: postfix, listen, queue, log (from the
beginning of the file) and firewall. Its /metrics, minus values that change
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
from harness import Exporter, Metrics, wait_for

FIXTURE = os.path.join(harness.SOURCE_DIR, "tests", "fixtures", "e2e")
GOLDEN = os.path.join(FIXTURE, "metrics.golden")
# Values that differ between runs or builds.
VOLATILE = re.compile(r"^(# (HELP|TYPE) )?(process_|mailflow_collector_duration_seconds|"
                      r"mailflow_config_last_reload_success_timestamp_seconds|"
                      r"mailflow_exporter_build_info|mailflow_exporter_collections_total)")
# Series whose value depends on the clock or the copy (ages of the fixture
# message, the log file's inode, when the last line was read, how often the
# kernel's nftables generation let the ruleset cache be reused): kept in the
# comparison with a non-zero value masked, so that the series must still be
# there (and a zero, e.g. the age of an empty queue, must stay zero).
MASKED = re.compile(r"^(mailflow_queue_oldest_message_age_seconds|"
                    r"mailflow_queue_message_age_seconds_sum|mailflow_log_file_inode|"
                    r"mailflow_log_last_line_timestamp_seconds|"
                    r"mailflow_firewall_ruleset_reads_total)([{ ])")
COLLECTORS = ["postfix", "listen", "queue", "log", "firewall"]
QUEUES = ("active", "incoming", "hold", "maildrop", "corrupt")


def prepare_tree():
    root = harness.tmpdir("mailflow-golden-")
    tree = os.path.join(root, "e2e")
    shutil.copytree(FIXTURE, tree, symlinks=True)
    main_cf = os.path.join(tree, "postfix", "main.cf")
    with open(main_cf) as f:
        text = f.read().replace("@ROOT@", tree)
    with open(main_cf, "w") as f:
        f.write(text)
    # git keeps no empty directories; Postfix has them all.
    for q in QUEUES:
        os.makedirs(os.path.join(tree, "spool", q), exist_ok=True)
    return tree


def exporter_config(tree):
    """Every path setting and collector option pointed into `tree`; the
    firewall's other tools and manager configs at paths that do not exist
    there (no iptables-legacy tables in the fixture /proc, no ufw, no
    firewalld)."""
    return """paths:
  postfix_config_directory: {t}/postfix
  proc: {t}/proc
  etc: {t}/etc
collectors:
  log:
    source: file
    path: {t}/log/maillog
    start_at: beginning
  firewall:
    nft_path: {t}/bin/nft
    iptables_nft_save_path: {t}/bin/iptables-nft-save
    ip6tables_nft_save_path: {t}/bin/ip6tables-nft-save
    iptables_legacy_save_path: {t}/bin/iptables-legacy-save
    ip6tables_legacy_save_path: {t}/bin/ip6tables-legacy-save
    ufw_directory: {t}/etc/ufw
    ufw_defaults_file: {t}/etc/default/ufw
    firewalld_directory: {t}/etc/firewalld
    firewalld_lib_directory: {t}/usr/lib/firewalld
""".format(t=tree)


def stable_text(text, tree):
    """The scrape without VOLATILE lines, non-zero MASKED values as "<masked>", and
    the tree's temp path (in config_directory labels) as in main.cf."""
    out = []
    for line in text.splitlines():
        if VOLATILE.match(line):
            continue
        if MASKED.match(line) and not line.endswith(" 0"):
            line = line[:line.rindex(" ")] + " <masked>"
        out.append(line.replace(tree, "@ROOT@") + "\n")
    return "".join(out)


def scrape_after_log(exporter, lines):
    """The first scrape in which the log collector, which follows the file
    on its own, has read all `lines` lines."""
    def complete():
        text = exporter.scrape_text()
        return text if Metrics(text).get("mailflow_log_lines_total") == lines else None
    return wait_for(complete, 30, interval=0.2, what="the log collector to read the fixture log")


class GoldenMetricsTest(unittest.TestCase):
    def test_fixture_tree_metrics(self):
        tree = prepare_tree()
        with open(os.path.join(tree, "log", "maillog")) as f:
            log_lines = len(f.read().splitlines())
        args = ["--collector.disable-defaults"] + ["--collector." + c for c in COLLECTORS]
        with Exporter(config=exporter_config(tree), args=args) as e:
            text = scrape_after_log(e, log_lines)
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        stable = stable_text(text, tree)
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
