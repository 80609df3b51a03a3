"""Hostile files against the real exporter binary (issue 17, items 3 and
10): FIFOs planted in a real Postfix instance's spool where the exporter
expects files (a defer log, master.pid), and Postfix-tagged journal entries
from a process that is not Postfix.
"""
import os
import pwd
import unittest

import harness
from harness import Exporter, PostfixInstance, wait_for
from test_log_sources import REMOTE, export_entry, write_journal


def deferred_message(pf):
    """Sends one message that defers (relay port closed) and returns the
    path of its defer log once Postfix wrote it."""
    harness.run(["smtp-source", "-m", "1", "-f", "a@x.test", "-t", "b@y.test",
                 "127.0.0.1:%d" % pf.smtp_port])
    defer = os.path.join(pf.spool, "defer")

    def log_path():
        for root, _, files in os.walk(defer):
            for f in files:
                return os.path.join(root, f)
    return wait_for(log_path, 60, interval=0.2, what="a defer log")


def plant_fifo(path):
    """Replaces the file at `path` with a FIFO owned by postfix, as the
    postfix user (or anyone with write access to the directory) could."""
    st = os.stat(path)
    os.unlink(path)
    os.mkfifo(path, 0o600)
    os.chown(path, st.st_uid, st.st_gid)


class SpoolFifoTest(unittest.TestCase):
    def test_a_fifo_as_defer_log(self):
        pf = PostfixInstance().start()
        log = deferred_message(pf)
        plant_fifo(log)
        e = Exporter(config=harness.exporter_config(pf),
                     args=["--collector.disable-defaults", "--collector.queue",
                           "--collector.postfix"]).start()
        self.addCleanup(e.stop)
        # Before: the scan blocked in open() for good; queue metrics were gone
        # and the collector's thread never came back. Now every scrape scans.
        for _ in range(3):
            m = e.scrape(timeout_header=5)
            self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 1,
                             e.log()[-2000:])
            self.assertEqual(m.get("mailflow_queue_messages", queue="deferred"), 1)
            self.assertEqual(m.get("mailflow_queue_corrupt_files", queue="deferred"), 1)

    def test_a_fifo_as_master_pid(self):
        pf = PostfixInstance().start()
        pid_file = os.path.join(pf.spool, "pid", "master.pid")
        pf.stop()  # a FIFO where the stopped master's pid file was
        if os.path.exists(pid_file):
            os.unlink(pid_file)
        os.mkfifo(pid_file, 0o644)
        self.addCleanup(lambda: os.path.exists(pid_file) and os.unlink(pid_file))
        e = Exporter(config=harness.exporter_config(pf),
                     args=["--collector.disable-defaults", "--collector.postfix"]).start()
        self.addCleanup(e.stop)
        for _ in range(2):
            m = e.scrape(timeout_header=5)
            self.assertEqual(m.get("mailflow_collector_success", collector="postfix"), 1)
            self.assertEqual(m.get("mailflow_postfix_up"), 0)
        self.assertIn("not a regular file", e.log())


class ForgedJournalTest(unittest.TestCase):
    def test_entries_from_untrusted_senders_are_dropped(self):
        if not os.access(REMOTE, os.X_OK):
            self.skipTest("%s missing (package systemd-journal-remote)" % REMOTE)
        d = harness.tmpdir()
        nobody = pwd.getpwnam("nobody").pw_uid
        real = "ABCDEF1234: to=<b@y.test>, relay=mx[192.0.2.1]:25, delay=1, " \
               "delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)"
        forged = real.replace("ABCDEF1234", "FFFFFF%04d")
        # What journald records for `logger -t postfix/smtp ...` run by
        # nobody: the tag it chose, and its own uid and comm.
        entries = export_entry(1700000000000000, "postfix/smtp", real)
        for i in range(5):
            entries += export_entry(1700000001000000 + i, "postfix/smtp", forged % i,
                                    uid=nobody, comm="logger")
        write_journal(os.path.join(d, "a.journal"), entries)
        e = Exporter(config="collectors:\n  log:\n    source: journal\n"
                            "    journal_directory: %s\n    start_at: beginning\n"
                            "    poll_interval: 50ms\n" % d,
                     args=["--collector.disable-defaults", "--collector.log"]).start()
        self.addCleanup(e.stop)
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_untrusted_entries_total") == 5
                              and m)(e.scrape()), 15, what="the journal to be read")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent",
                               transport="smtp"), 1)
        self.assertEqual(m.get("mailflow_log_lines_total"), 1)
        # Trusting the tag alone (a journal from another host) counts all.
        e2 = Exporter(config="collectors:\n  log:\n    source: journal\n"
                             "    journal_directory: %s\n    start_at: beginning\n"
                             "    poll_interval: 50ms\n    journal_trusted_users: []\n" % d,
                      args=["--collector.disable-defaults", "--collector.log"]).start()
        self.addCleanup(e2.stop)
        wait_for(lambda: e2.scrape().get("mailflow_log_deliveries_total", status="sent",
                                         transport="smtp") == 6, 15, what="all entries")


if __name__ == "__main__":
    unittest.main()
