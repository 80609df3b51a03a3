"""Inbound health against a real Postfix: the `postfix` and `listen` collectors.

A private Postfix instance runs inside a test network namespace (so
inet_interfaces = all binds only there), the real exporter runs in the same
namespace, and a peer namespace tries real SMTP connections. Each test breaks
the instance the way operators do and asserts /metrics follows.
"""
import os
import shutil
import subprocess
import unittest

import harness
from harness import Diagnosis, Exporter, PostfixInstance, wait_for
from netns import NetnsPair


def connect_from_peer(pair, port):
    """'connected' / 'refused' / other, for a TCP connect from namespace b."""
    code = ("import socket,sys\n"
            "s=socket.socket(); s.settimeout(3)\n"
            "try:\n s.connect((sys.argv[1], int(sys.argv[2]))); print('connected')\n"
            "except ConnectionRefusedError: print('refused')\n"
            "except OSError as e: print('error', e)\n")
    return pair.exec_b(["python3", "-c", code, pair.addr_a, str(port)]).strip()


class InboundTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pair = NetnsPair("inb")
        port = 25  # free inside the namespace; the port the guide is about
        cls.pf = PostfixInstance(smtp_port=port, netns=cls.pair.a)
        # A service without host: it binds to every inet_interfaces address.
        cls.pf.postconf("-MX", "127.0.0.1:%d/inet" % port)
        cls.pf.set_smtp_service(str(port))
        cls.pf.start()
        cls.port = port
        cls.config = (
            "paths:\n  postfix_config_directory: %s\n"
            "smtp_ports: [%d]\n"
            "collectors:\n  listen: {}\n  postfix: {}\n" % (cls.pf.etc, port))
        cls.exporter = Exporter(
            config=cls.config, netns=cls.pair.a,
            args=["--collector.disable-defaults", "--collector.postfix",
                  "--collector.listen"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        cls.pf.stop()

    def scrape(self):
        m = self.exporter.scrape()
        self.assertEqual(m.get("mailflow_collector_success", collector="postfix"), 1,
                         self.exporter.log())
        self.assertEqual(m.get("mailflow_collector_success", collector="listen"), 1)
        return m

    def main_cf_line(self, param):
        with open(os.path.join(self.pf.etc, "main.cf")) as f:
            for n, line in enumerate(f, 1):
                if line.startswith(param + " ="):
                    return "%s/main.cf:%d" % (self.pf.etc, n)
        raise AssertionError("main.cf does not set " + param)

    def restart_cmd(self):
        return "postfix -c {0} stop && postfix -c {0} start".format(self.pf.etc)

    def mismatches(self, m):
        return {l["kind"]: v for l, v in m.find("mailflow_listen_config_mismatch",
                                                port=self.port)}

    def test_1_loopback_only(self):
        m = self.scrape()
        p = self.port
        self.assertEqual(m.get("mailflow_postfix_up"), 1)
        self.assertEqual(m.get("mailflow_postfix_inet_interfaces_loopback_only"), 1)
        self.assertEqual(m.get("mailflow_postfix_service_enabled", port=p, service=str(p)), 1)
        self.assertEqual(m.get("mailflow_listen_port_listening", port=p), 1)
        self.assertEqual(m.get("mailflow_listen_port_external", port=p), 0)
        self.assertEqual(
            m.get("mailflow_listen_socket", port=p, address="127.0.0.1", owner="master"), 1)
        self.assertEqual(set(self.mismatches(m).values()), {0})
        # The incident itself: another host is refused.
        self.assertEqual(connect_from_peer(self.pair, p), "refused")
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"listening": "fail"}, d)
        self.assertEqual(d.exit_code, 2)
        f = d.finding("listening", "port 25")
        self.assertEqual(Diagnosis.evidence(f), [
            "LISTEN 127.0.0.1:25 master[%d] [/proc/net/tcp{,6}]" % self.pf.master_pid(),
            "inet_interfaces = loopback-only [%s]" % self.main_cf_line("inet_interfaces")])
        self.assertEqual(f["fix"], "postconf -c %s -e 'inet_interfaces = all'   (or this "
                                   "host's public address)" % self.pf.etc)
        self.assertEqual(f["apply"], self.restart_cmd())
        self.assertEqual(f["runbook"]["name"], "PostfixListeningLoopbackOnly")
        for step in ("postfix_running", "config_applied", "services", "open_relay"):
            self.assertEqual(d.status(step), "ok", step)
        self.assertEqual(d.steps["firewall"]["reason"],
                         "the firewall collector is disabled (--collector.firewall)")

    def test_2_inet_interfaces_all_needs_restart(self):
        p = self.port
        self.pf.set(inet_interfaces="all")
        self.pf.reload()  # does not rebind: "config says all, kernel 127.0.0.1"
        m = wait_for(lambda: (lambda m: m if self.mismatches(m)["not_external"] == 1
                              else None)(self.scrape()), 20, interval=0.5,
                     what="not_external mismatch")
        self.assertEqual(m.get("mailflow_postfix_inet_interfaces_loopback_only"), 0)
        self.assertEqual(m.get("mailflow_listen_port_external", port=p), 0)
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"listening": "fail", "config_applied": "fail"}, d)
        f = d.finding("config_applied", "port 25")
        self.assertIn("inet_interfaces = all [%s]" % self.main_cf_line("inet_interfaces"),
                      Diagnosis.evidence(f))
        self.assertEqual(f["apply"], self.restart_cmd())
        self.assertEqual(f["runbook"]["name"], "PostfixConfigNotApplied")
        self.assertIn("Postfix was reloaded, not restarted",
                      d.finding("listening", "port 25")["summary"])
        self.pf.restart()
        m = self.scrape()
        self.assertEqual(m.get("mailflow_listen_port_external", port=p), 1)
        self.assertEqual(
            m.get("mailflow_listen_socket", port=p, address="0.0.0.0", owner="master"), 1)
        self.assertEqual(set(self.mismatches(m).values()), {0})
        self.assertEqual(connect_from_peer(self.pair, p), "connected")
        # A healthy instance: every checked step OK, exit 0.
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {}, d)
        self.assertEqual(d.exit_code, 0)
        self.assertEqual(Diagnosis.evidence(d.finding("listening", "port 25")),
                         ["LISTEN 0.0.0.0:25 master[%d] [/proc/net/tcp{,6}]"
                          % self.pf.master_pid()])

    def test_3_chroot_jail_files(self):
        p = self.port
        self.pf.postconf("-F", "%d/inet/chroot = y" % p)
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_service_chroot", service=str(p), type="inet"), 1)
        self.assertEqual(m.get("mailflow_postfix_chroot_file_problem",
                               file="etc/resolv.conf", problem="missing"), 1)
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"chroot": "warn"}, d)
        f = d.finding("chroot", status="warn")
        jail = os.path.join(self.pf.spool, "etc")
        self.assertIn("missing [%s/resolv.conf]" % jail, Diagnosis.evidence(f))
        self.assertIn("cp -p /etc/resolv.conf %s/resolv.conf" % jail, f["fix"])
        self.assertTrue(f["fix"].startswith("mkdir -p %s && " % jail), f["fix"])
        self.assertEqual(f["apply"], "postfix -c %s reload" % self.pf.etc)
        self.assertEqual(f["runbook"]["name"], "PostfixChrootFilesMissing")
        os.makedirs(jail, exist_ok=True)
        for f in ("resolv.conf", "hosts", "services", "nsswitch.conf", "host.conf", "localtime"):
            if os.path.exists("/etc/" + f):
                shutil.copyfile("/etc/" + f, os.path.join(jail, f))
        m = self.scrape()
        problems = m.find("mailflow_postfix_chroot_file_problem")
        self.assertTrue(problems)
        self.assertEqual({v for _, v in problems}, {0}, problems)
        with open(os.path.join(jail, "resolv.conf"), "a") as f:
            f.write("# edited on the host only\n")
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_chroot_file_problem",
                               file="etc/resolv.conf", problem="stale"), 1)
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"chroot": "warn"}, d)
        f = d.finding("chroot", status="warn")
        self.assertIn("stale copies of etc/resolv.conf", f["summary"])
        self.assertIn("differs from /etc/resolv.conf [%s/resolv.conf]" % jail,
                      Diagnosis.evidence(f))
        self.assertEqual(f["fix"], "cp -p /etc/resolv.conf %s/resolv.conf" % jail)
        self.pf.postconf("-F", "%d/inet/chroot = n" % p)
        m = self.scrape()
        self.assertFalse(m.has("mailflow_postfix_chroot_file_problem"))

    def test_4_smtp_service_commented_out(self):
        p = self.port
        self.pf.postconf("-M#", "%d/inet" % p)
        self.pf.reload()
        wait_for(lambda: not self.pf.listening(), 20, what="listener to close")
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_service_enabled", port=p, service=str(p)), 0)
        self.assertEqual(m.get("mailflow_listen_port_listening", port=p), 0)
        self.assertEqual(connect_from_peer(self.pair, p), "refused")
        d = self.exporter.diagnose()
        self.assertEqual(d.problems(), {"services": "fail", "listening": "fail"}, d)
        f = d.finding("services", "port 25")
        with open(self.pf.master_cf()) as mf:
            lines = mf.read().splitlines()
        # Every commented-out entry of port 25 (the stock postscreen and
        # smtpd ones too); the fix names the last smtpd one.
        off = [i for i, l in enumerate(lines, 1)
               if l.startswith(("#smtp ", "#25 ")) and " inet " in l]
        self.assertEqual(len(off), 3, off)
        self.assertEqual(Diagnosis.evidence(f),
                         ["%s [%s:%d]" % (lines[i - 1], self.pf.master_cf(), i) for i in off])
        n = off[-1]
        self.assertTrue(lines[n - 1].startswith("#25 "), lines[n - 1])
        self.assertEqual(f["fix"], "uncomment line %d of %s (and its -o lines)"
                         % (n, self.pf.master_cf()))
        self.assertEqual(f["apply"], "postfix -c %s reload" % self.pf.etc)
        self.assertIn("no master.cf service is enabled on it (step 4)",
                      d.finding("listening", "port 25")["summary"])
        # Re-enable for the next test.
        self.pf.set_smtp_service(str(p))
        self.pf.reload()
        wait_for(self.pf.listening, 20, what="listener back")
        m = self.scrape()
        self.assertEqual(m.get("mailflow_postfix_service_enabled", port=p, service=str(p)), 1)

    def test_5_master_stopped(self):
        self.pf.stop()
        try:
            m = self.scrape()
            self.assertEqual(m.get("mailflow_postfix_up"), 0)
            self.assertEqual(m.get("mailflow_listen_port_listening", port=self.port), 0)
            # Mismatches are only judged while the master runs.
            self.assertEqual(set(self.mismatches(m).values()), {0})
            self.assertIn("Postfix master: down", self.exporter.log())
            d = self.exporter.diagnose()
            self.assertEqual(d.problems(), {"postfix_running": "fail", "listening": "fail"}, d)
            f = d.finding("postfix_running", status="fail")
            pid = os.path.join(self.pf.spool, "pid", "master.pid")
            self.assertEqual(f["evidence"][0]["source"], pid)
            self.assertEqual(f["apply"], "postfix -c %s start" % self.pf.etc)
            self.assertEqual(d.status("config_applied"), "skipped")
        finally:
            self.pf.start()
        self.assertEqual(self.scrape().get("mailflow_postfix_up"), 1)


    def rcpt_from_peer(self, rcpt):
        """The reply code to RCPT TO:<rcpt> in a session from namespace b."""
        code = ("import smtplib,sys\n"
                "s=smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10)\n"
                "s.ehlo('peer.test'); s.mail('a@peer.test')\n"
                "print(s.rcpt(sys.argv[3])[0]); s.quit()\n")
        return int(self.pair.exec_b(["python3", "-c", code, self.pair.addr_a,
                                     str(self.port), rcpt]).strip())

    def test_6_open_relay(self):
        self.pf.set(mynetworks="0.0.0.0/0", inet_interfaces="all")
        self.pf.restart()  # reachable from the peer, also when run alone
        try:
            # The incident: a stranger relays to a foreign domain.
            self.assertEqual(self.rcpt_from_peer("someone@example.com"), 250)
            d = self.exporter.diagnose()
            self.assertEqual(d.problems(), {"open_relay": "fail"}, d)
            f = d.finding("open_relay", "mynetworks")
            self.assertIn("0.0.0.0/0", f["summary"])
            self.assertEqual(Diagnosis.evidence(f),
                             ["mynetworks = 0.0.0.0/0 [%s]" % self.main_cf_line("mynetworks")])
            self.assertEqual(f["apply"], "postfix -c %s reload" % self.pf.etc)
            self.assertEqual(f["runbook"]["name"], "PostfixOpenRelayRisk")
        finally:
            self.pf.set(mynetworks="127.0.0.0/8")
            self.pf.reload()
        # Relay access denied (4xx: defer_unauth_destination, the default).
        self.assertIn(self.rcpt_from_peer("someone@example.com"), (454, 554))
        self.assertEqual(self.exporter.diagnose().problems(), {})


class BadInputTest(unittest.TestCase):
    """Unreadable and malformed configuration: clear errors, never an empty /metrics."""

    def test_missing_config_directory(self):
        with Exporter(config="paths:\n  postfix_config_directory: /nonexistent/pf\n",
                      args=["--collector.disable-defaults", "--collector.postfix",
                            "--collector.listen"]) as e:
            m = e.scrape()
            self.assertEqual(m.get("mailflow_collector_success", collector="postfix"), 0)
            self.assertEqual(m.get("mailflow_collector_success", collector="listen"), 1)
            self.assertTrue(m.has("mailflow_exporter_build_info"))
            wait_for(lambda: "/nonexistent/pf/main.cf: cannot read: No such file or directory"
                     in e.log(), 5, what="log line")
            # Each step of the postfix collector could not be checked, with
            # the reason; nothing else fails: exit 3.
            d = e.diagnose(["--no-collector.listen"])
            self.assertEqual(d.exit_code, 3, d)
            for step in ("postfix_running", "services", "chroot", "greylisting", "open_relay"):
                self.assertEqual((d.status(step), d.steps[step]["unchecked"]),
                                 ("skipped", True), step)
                self.assertEqual(d.steps[step]["reason"],
                                 "the postfix collector failed: /nonexistent/pf/main.cf: "
                                 "cannot read: No such file or directory")

    def test_garbage_and_recursion_in_main_cf(self):
        d = harness.tmpdir()
        shutil.copy("/etc/postfix/master.cf", d)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write("this line has no equals sign\n"
                    "a = $b\nb = $a\n"
                    "inet_interfaces = $a\n"
                    "\x00binary = junk\n")
        with Exporter(config="paths:\n  postfix_config_directory: %s\n" % d,
                      args=["--collector.disable-defaults", "--collector.postfix"]) as e:
            m = e.scrape()
            self.assertEqual(m.get("mailflow_collector_success", collector="postfix"), 1)
            self.assertGreaterEqual(
                m.get("mailflow_postfix_config_problems", file="main.cf", severity="error"), 2)
            log = e.log()
            self.assertIn("main.cf:1: ", log)
            self.assertIn("unreasonable macro call nesting", log)

    def test_config_check_and_reload(self):
        d = harness.tmpdir()
        good = os.path.join(d, "good.yml")
        bad = os.path.join(d, "bad.yml")
        with open(good, "w") as f:
            f.write("collectors:\n  listen:\n    resolve_owners: false\n")
        with open(bad, "w") as f:
            f.write("collectors:\n  listen:\n    resolve_owner: false\n")
        ok = subprocess.run([harness.EXPORTER, "--config.check", "--config.file=" + good],
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        ko = subprocess.run([harness.EXPORTER, "--config.check", "--config.file=" + bad],
                            capture_output=True, text=True)
        self.assertEqual(ko.returncode, 1)
        self.assertEqual(ko.stderr.strip(), bad + ':3:5: unknown key "resolve_owner"')
        unknown = subprocess.run([harness.EXPORTER, "--no-such-flag"], capture_output=True,
                                 text=True)
        self.assertEqual(unknown.returncode, 1)
        # diagnose that cannot run: exit 3 with the reason.
        ko = subprocess.run([harness.EXPORTER, "diagnose", "--config.file=" + bad],
                            capture_output=True, text=True)
        self.assertEqual(ko.returncode, 3)
        self.assertEqual(ko.stderr.strip(), "mailflow_exporter diagnose: " + bad +
                         ':3:5: unknown key "resolve_owner"')
        self.assertEqual(ko.stdout, "")
        for args in (["--format=xml"], ["--timeout=1h"], ["--color=sometimes"]):
            ko = subprocess.run([harness.EXPORTER, "diagnose"] + args, capture_output=True,
                                text=True)
            self.assertEqual(ko.returncode, 3, args)
        # Colour only when asked (or on a terminal); the words are there either way.
        args = [harness.EXPORTER, "diagnose", "--collector.disable-defaults",
                "--collector.listen", "--config.file=" + good]
        plain = subprocess.run(args, capture_output=True, text=True)
        self.assertNotIn("\033[", plain.stdout)
        colour = subprocess.run(args + ["--color=always"], capture_output=True, text=True)
        self.assertIn("\033[", colour.stdout)
        self.assertEqual(plain.returncode, colour.returncode)

        def read(path):
            with open(path) as f:
                return f.read()
        e = Exporter(config=read(good), args=["--collector.disable-defaults",
                                              "--collector.listen",
                                              "--web.enable-lifecycle"]).start()
        try:
            e.rewrite_config(read(bad))
            status, body = e.reload()
            self.assertEqual(status, 500)
            self.assertIn('unknown key "resolve_owner"', body.decode())
            m = e.scrape()
            self.assertEqual(m.get("mailflow_config_last_reload_successful"), 0)
            self.assertEqual(m.get("mailflow_collector_success", collector="listen"), 1)
            e.rewrite_config(read(good))
            e.reload(via="signal")
            wait_for(lambda: e.scrape().get("mailflow_config_last_reload_successful") == 1,
                     10, what="SIGHUP reload")
        finally:
            e.stop()


if __name__ == "__main__":
    unittest.main()
