"""The log collector's sources through the real exporter binary.

- file: absent at start, then rotated by rename + create, delete + recreate
  and copytruncate while lines are being written: every line counted once.
- journal: journal files made from export format by systemd-journal-remote
  in a directory the test controls (no journald runs here), including a file
  that appears after the exporter started; skipped with the reason when the
  tool is missing.
- stdin: lines piped into the exporter.
- auto: the journal on a host without the file (once Postfix has logged
  there), the file when it exists.
"""
import os
import pwd
import subprocess
import time
import unittest

import harness
from harness import EXPORTER, Exporter, on_exit, tmpdir, wait_for

REMOTE = "/lib/systemd/systemd-journal-remote"
SENT = ("Nov 29 10:00:00 mx postfix/smtp[5]: %s: to=<a@b.example>, relay=mx[192.0.2.1]:25, "
        "delay=1, delays=0.1/0.2/0.3/0.4, dsn=2.0.0, status=sent (250 ok)\n")


def qid(i):
    return "%010X" % (0xA00000 + i)


def exporter_for(config):
    return Exporter(args=["--collector.disable-defaults", "--collector.log"], config=config)


class FileSourceTest(unittest.TestCase):
    def test_rotation_while_writing_counts_every_line_once(self):
        d = tmpdir()
        path = os.path.join(d, "mail.log")
        ex = exporter_for("collectors:\n  log:\n    source: file\n    path: %s\n"
                          "    poll_interval: 20ms\n" % path)
        ex.start()
        m = ex.scrape()
        self.assertEqual(m.get("mailflow_log_source_up", source="file"), 0)  # absent: fine
        n = 0

        def write(count, f):
            nonlocal n
            for _ in range(count):
                f.write(SENT % qid(n))
                n += 1
            f.flush()

        def caught_up():
            m = ex.scrape()
            self.last = (m.get("mailflow_log_lines_total"), n)
            return m.get("mailflow_log_lines_total") == n and m

        def settle(what):
            try:
                return wait_for(caught_up, 20, what=what)
            except TimeoutError:
                raise AssertionError("%s: lines read, written: %r\n%s" % (
                    what, self.last, ex.scrape_text()))

        # The exporter follows the file from its first line (it appeared after
        # start). Between rotations it catches up, as with a real log whose
        # rotations are minutes apart; lines keep arriving across each one.
        f = open(path, "a")
        write(500, f)
        settle("first file")
        # rename + create, with late lines to the renamed file
        os.rename(path, path + ".1")
        write(50, f)
        f.close()
        f = open(path, "a")
        write(500, f)
        settle("after rename")
        # delete + recreate; lines to the deleted file before the writer reopens
        os.unlink(path)
        write(20, f)
        f.close()
        f = open(path, "a")
        write(500, f)
        # copytruncate: copy, then truncate once the exporter has read the file
        # (lines written between copy and truncate are lost by copytruncate)
        settle("before copytruncate")
        with open(path) as src, open(path + ".2", "w") as dst:
            dst.write(src.read())
        os.truncate(path, 0)
        wait_for(lambda: ex.scrape().get("mailflow_log_file_rotations_total", kind="truncate") == 1,
                 20, what="truncation noticed")
        write(300, f)
        f.close()
        m = wait_for(caught_up, 20, what="exporter to read every line")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"), n)
        self.assertEqual(m.get("mailflow_log_file_rotations_total", kind="rename"), 2)
        self.assertEqual(m.get("mailflow_log_source_up", source="file"), 1)
        self.assertEqual(m.get("mailflow_log_file_inode"), os.stat(path).st_ino)
        self.assertEqual(m.get("mailflow_log_file_position_bytes"), os.stat(path).st_size)
        self.assertEqual(m.get("mailflow_log_read_errors_total"), 0)
        # A few more seconds: nothing counted twice later (grace period ends).
        time.sleep(0.5)
        self.assertEqual(ex.scrape().get("mailflow_log_lines_total"), n)

    def test_start_at_end_skips_backlog(self):
        d = tmpdir()
        path = os.path.join(d, "mail.log")
        with open(path, "w") as f:
            for i in range(10):
                f.write(SENT % qid(i))
        ex = exporter_for("collectors:\n  log:\n    source: file\n    path: %s\n"
                          "    poll_interval: 20ms\n" % path)
        ex.start()
        wait_for(lambda: ex.scrape().get("mailflow_log_source_up", source="file") == 1, 10)
        with open(path, "a") as f:
            f.write(SENT % qid(99))
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 1 and m)(
            ex.scrape()), 10, what="the appended line")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"), 1)

    def test_bad_options_are_errors(self):
        d = tmpdir()
        cfg = os.path.join(d, "c.yml")
        with open(cfg, "w") as f:
            f.write("collectors:\n  log:\n    source: syslog\n")
        p = subprocess.run([EXPORTER, "--config.file=" + cfg, "--config.check"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(cfg + ":3:5: source must be auto, file, journal or stdin, not \"syslog\"",
                      p.stdout)


def export_entry(usec, ident, message, uid=None, comm="smtp"):
    """One entry in the journal export format. `uid`: the sender's _UID as
    journald records it (default: the postfix user's, as for Postfix's
    daemons)."""
    if uid is None:
        uid = pwd.getpwnam("postfix").pw_uid
    return ("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
            "_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=postfix@-.service\n"
            "_UID=%d\n_COMM=%s\nSYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n\n"
            % (usec, usec // 1000, uid, comm, ident, message))


def write_journal(path, text):
    subprocess.run([REMOTE, "-o", path, "-"], input=text.encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


class JournalSourceTest(unittest.TestCase):
    def test_journal_directory(self):
        if not os.access(REMOTE, os.X_OK):
            self.skipTest("%s missing (package systemd-journal-remote): no way to create "
                          "journal files without journald" % REMOTE)
        d = tmpdir()
        msg = SENT.split(": ", 1)[1].strip()
        write_journal(os.path.join(d, "a.journal"),
                      export_entry(1700000000000000, "postfix/smtp", msg % qid(1)) +
                      export_entry(1700000001000000, "sshd", "Accepted publickey for root") +
                      export_entry(1700000002000000, "postfix/qmgr", qid(1) + ": removed"))
        ex = exporter_for("collectors:\n  log:\n    source: journal\n    journal_directory: %s\n"
                          "    start_at: beginning\n    poll_interval: 50ms\n" % d)
        ex.start()
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 2 and m)(
            ex.scrape()), 15, what="journal entries")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"), 1)
        self.assertEqual(m.get("mailflow_log_messages_total", event="removed"), 1)
        self.assertEqual(m.get("mailflow_log_source_up", source="journal"), 1)
        # A journal file created later in the watched directory is followed.
        write_journal(os.path.join(d, "b.journal"),
                      export_entry(1700000010000000, "postfix-out/smtp",
                                   "connect to x[192.0.2.1]:25: Connection refused"))
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 3 and m)(
            ex.scrape()), 15, what="entry from the new journal file")
        self.assertEqual(m.get("mailflow_log_smtp_connect_failures_total",
                               reason="connection_refused"), 1)


class AutoSourceTest(unittest.TestCase):
    """source: auto (the default): the file if it exists, else the journal
    once it holds Postfix entries; which one is exported and logged."""

    def setUp(self):
        if not os.access(REMOTE, os.X_OK):
            self.skipTest("%s missing (package systemd-journal-remote)" % REMOTE)
        self.dir = tmpdir()
        self.journal = os.path.join(self.dir, "journal")
        os.makedirs(self.journal)
        self.path = os.path.join(self.dir, "mail.log")
        self.msg = SENT.split(": ", 1)[1].strip()

    def exporter(self):
        ex = exporter_for("collectors:\n  log:\n    path: %s\n    journal_directory: %s\n"
                          "    start_at: beginning\n    poll_interval: 50ms\n"
                          "    auto_interval: 1s\n" % (self.path, self.journal))
        ex.start()
        return ex

    def source(self, m):
        series = [labels for labels, v in m.find("mailflow_log_source_info") if v == 1]
        self.assertEqual(len(series), 1, series)
        return series[0]

    def test_journal_only_host(self):
        # No mail.log; the journal has no Postfix entry yet (a fresh server).
        write_journal(os.path.join(self.journal, "a.journal"),
                      export_entry(1700000000000000, "sshd", "Accepted publickey for root"))
        ex = self.exporter()
        m = wait_for(lambda: (lambda m: m.has("mailflow_log_source_info") and m)(ex.scrape()), 10)
        self.assertEqual(self.source(m), {"source": "none", "configured": "auto", "path": ""})
        self.assertEqual(m.get("mailflow_log_lines_total"), 0)
        # Postfix logs its first lines: the journal is followed from then on.
        write_journal(os.path.join(self.journal, "b.journal"),
                      export_entry(1700000001000000, "postfix/smtp", self.msg % qid(1)))
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 1 and m)(
            ex.scrape()), 20, what="the journal chosen and read")
        self.assertEqual(self.source(m), {"source": "journal", "configured": "auto",
                                          "path": self.journal})
        self.assertEqual(m.get("mailflow_log_source_up", source="journal"), 1)
        self.assertIn("log source: journal (auto: %s does not exist, the journal has Postfix "
                      "entries)" % self.path, ex.log())

    def test_file_wins_when_it_exists(self):
        write_journal(os.path.join(self.journal, "a.journal"),
                      export_entry(1700000000000000, "postfix/smtp", self.msg % qid(1)))
        with open(self.path, "w") as f:
            f.write(SENT % qid(2))
            f.write(SENT % qid(3))
        ex = self.exporter()
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 2 and m)(
            ex.scrape()), 20, what="the file chosen and read")
        self.assertEqual(self.source(m), {"source": "file", "configured": "auto",
                                          "path": self.path})
        self.assertEqual(m.get("mailflow_log_source_up", source="file"), 1)
        self.assertIn("log source: file", ex.log())


class StdinSourceTest(unittest.TestCase):
    def test_stdin(self):
        d = tmpdir()
        cfg = os.path.join(d, "c.yml")
        with open(cfg, "w") as f:
            f.write("collectors:\n  log:\n    source: stdin\n")
        log_path = os.path.join(d, "exporter.log")
        log = open(log_path, "w")
        p = subprocess.Popen([EXPORTER, "--web.listen-address=127.0.0.1:0",
                              "--collector.disable-defaults", "--collector.log",
                              "--config.file=" + cfg], stdin=subprocess.PIPE, stdout=log,
                             stderr=subprocess.STDOUT)

        def stop():
            if p.poll() is None:
                p.terminate()
                p.wait(10)
            log.close()
        on_exit(stop)
        import re
        addr = wait_for(lambda: re.search(r"listening on ([0-9.]+:[0-9]+)",
                                          open(log_path).read()), 10).group(1)
        for i in range(5):
            p.stdin.write((SENT % qid(i)).encode())
        p.stdin.write(b"Nov 29 10:00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]")
        p.stdin.close()  # EOF: the partial last line is counted too

        def scrape():
            st, _, body = harness.http("http://%s/metrics" % addr)
            return harness.Metrics(body.decode())
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 6 and m)(scrape()),
                     10, what="stdin lines")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"), 5)
        self.assertEqual(m.get("mailflow_log_smtpd_connections_total", syslog_name="postfix"), 1)
        self.assertEqual(m.get("mailflow_log_source_up", source="stdin"), 0)


if __name__ == "__main__":
    unittest.main()
