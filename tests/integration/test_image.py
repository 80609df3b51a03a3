"""The container image: built from this tree by podman (podman.py: base
images from the Debian mirror by mmdebstrap, no registry) and run as its
documented non-root user against a real Postfix.

The "host" is a network namespace the test makes: an nftables ruleset in it,
a private Postfix instance listening in it with mail deferred in its queue
(relayhost on a closed port). The container joins that namespace, sees the
host's pids (--pid=host) and mounts the instance's directories read-only, as
docs/container.md tells an operator to; the same exporter binary run natively
as root in the namespace is the reference for the firewall verdicts.

- beside Postfix: every collector succeeds; queue counts equal `postqueue -j`;
  verdicts equal the native exporter's and the ruleset's; the process runs as
  uid 10029 with exactly CAP_DAC_READ_SEARCH and CAP_NET_ADMIN effective (and
  ambient, for nft); HEALTHCHECK healthy; OCI labels; no build tools inside.
- without --cap-add: it still serves, the queue and firewall collectors fail
  and the log names the missing capabilities.
- as a sidecar: own pid namespace, Postfix run in the foreground with its log
  on stdout piped into the container (`source: stdin` by environment).
- a journal-only host: a real journal file (systemd-journal-remote) in a
  mounted /var/log/journal/<machine-id>/ with the host's /etc/machine-id.
"""
import collections
import json
import os
import subprocess
import unittest
import uuid

import harness
from harness import Exporter, PostfixInstance, on_exit, run, tmpdir, wait_for
from podman import IMAGE, Podman, project_version, revision

CAP_DAC_READ_SEARCH, CAP_NET_ADMIN = 2, 12
RULESET = """table inet host_filter {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 25 drop
    tcp dport 465 reject with tcp reset
  }
}
"""
REMOTE = "/lib/systemd/systemd-journal-remote"


def make_netns():
    name = "mfimg%d" % os.getpid()
    run(["ip", "netns", "add", name])
    on_exit(lambda: subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL))
    run(["ip", "-n", name, "link", "set", "lo", "up"])
    return name


def send_deferred(pf, count):
    for i in range(count):
        subprocess.run(["sendmail", "-C", pf.etc, "-f", "sender@mailflow-ci.test",
                        "user%d@refused.test" % i], input="Subject: t\n\nhello\n",
                       text=True, check=True, timeout=30)

    def deferred():
        pq = postqueue(pf)
        return len(pq) == count and all(x["queue_name"] == "deferred" for x in pq)
    wait_for(deferred, 90, interval=0.5, what="mail deferred")


def postqueue(pf):
    return [json.loads(l) for l in run(["postqueue", "-c", pf.etc, "-j"]).splitlines()
            if l.strip()]


def caps_of(pid):
    with open("/proc/%d/status" % pid) as f:
        fields = dict(l.split(":", 1) for l in f if ":" in l)
    return {k: (int(fields[k].strip(), 16) if k.startswith("Cap") else fields[k].split())
            for k in ("Uid", "CapEff", "CapAmb", "CapPrm")}


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.podman = Podman()
        cls.revision = revision()  # HEAD may move while the image builds
        cls.podman.build_image(rev=cls.revision)
        cls.ns = make_netns()
        run(["ip", "netns", "exec", cls.ns, "nft", "-f", "-"], input=RULESET)
        cls.pf = PostfixInstance(netns=cls.ns)
        cls.pf.start()
        send_deferred(cls.pf, 3)
        cls.conf_dir = tmpdir("mailflow-image-conf-")
        os.chmod(cls.conf_dir, 0o755)
        with open(os.path.join(cls.conf_dir, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\n")  # never the host's resolver
        cls.config = cls.write_config("mailflow.yml", cls.pf)

    @classmethod
    def write_config(cls, name, pf):
        """A config for the instance `pf` in the mounted /config; returns it."""
        text = ("paths:\n  postfix_config_directory: %s\n"
                "smtp_ports: [25, 587, 465, %d]\n"
                "collectors:\n  log:\n    start_at: beginning\n"
                "  dns:\n    resolv_conf: /config/resolv.conf\n" % (pf.etc, pf.smtp_port))
        with open(os.path.join(cls.conf_dir, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(cls.conf_dir, name), 0o644)
        return text

    def run_container(self, *extra, pid_host=True, stdin=None, env=(), pf=None,
                      config="mailflow.yml"):
        """Starts the image in the test's namespace with instance `pf`'s
        directories mounted; returns (name, url)."""
        pf = pf or self.pf
        name = "mailflow-image-test-%s" % uuid.uuid4().hex[:8]
        port = harness.free_port()
        args = ["run", "--name", name, "--network", "ns:/run/netns/" + self.ns,
                "--health-interval=disable",
                "-v", "%s:%s:ro" % (pf.dir, pf.dir),
                "-v", "%s:/config:ro" % self.conf_dir,
                "-e", "MAILFLOW_CONFIG_FILE=/config/" + config,
                "-e", "MAILFLOW_WEB_LISTEN_ADDRESS=127.0.0.1:%d" % port]
        if pid_host:
            args.append("--pid=host")
        for kv in env:
            args += ["-e", kv]
        args += list(extra)
        on_exit(lambda: self.podman.rm(name))
        if stdin is None:
            self.podman(*(args[:1] + ["-d"] + args[1:] + [IMAGE]))
        else:
            self.podman.popen(*(args[:1] + ["-i"] + args[1:] + [IMAGE]), stdin=stdin,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = "http://127.0.0.1:%d" % port
        wait_for(lambda: harness.http_in(self.ns, url + "/-/healthy", timeout=5)[0] == 200,
                 30, interval=0.2, what="exporter in the container")
        return name, url

    def scrape(self, url):
        status, body = harness.http_in(self.ns, url + "/metrics")
        self.assertEqual(status, 200, body[:300])
        return harness.Metrics(body.decode())

    def logs(self, name):
        """The container's output (the exporter logs to stderr)."""
        return subprocess.run(["podman", "logs", name], env=self.podman.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60).stdout

    def test_beside_postfix_on_the_host(self):
        name, url = self.run_container("--cap-add=DAC_READ_SEARCH", "--cap-add=NET_ADMIN",
                                       env=["MAILFLOW_LOG_PATH=" + self.pf.log_file])
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") and m)(
            self.scrape(url)), 20, what="log lines read")
        logs = self.logs(name)
        for c in ("postfix", "listen", "firewall", "queue", "dns", "smtp", "log"):
            self.assertEqual(m.get("mailflow_collector_success", collector=c), 1, c + logs)
        self.assertEqual(m.get("mailflow_postfix_up"), 1, logs)

        # Queue counts equal postqueue's for the same instance.
        by_queue = collections.Counter(x["queue_name"] for x in postqueue(self.pf))
        self.assertEqual(by_queue["deferred"], 3)
        for q in ("maildrop", "incoming", "active", "deferred", "hold"):
            self.assertEqual(m.get("mailflow_queue_messages", queue=q), by_queue[q], q)
        self.assertEqual(m.get("mailflow_queue_deferred_recipients",
                               reason="connection_refused"), 3)

        # Firewall verdicts: the ruleset's, and the native exporter's.
        native = Exporter(config=self.config.replace("/config/resolv.conf", os.path.join(
            self.conf_dir, "resolv.conf")), netns=self.ns,
            args=["--collector.disable-defaults", "--collector.firewall"]).start()
        ref = native.scrape()
        native.stop()
        expect = {25: "drop", 465: "reject", 587: "accept", self.pf.smtp_port: "accept"}
        for port, verdict in expect.items():
            got = [l["verdict"] for l, v in m.find("mailflow_firewall_inbound_verdict",
                                                   backend="nftables", port=port) if v == 1]
            want = [l["verdict"] for l, v in ref.find("mailflow_firewall_inbound_verdict",
                                                      backend="nftables", port=port) if v == 1]
            self.assertEqual(got, [verdict], port)
            self.assertEqual(got, want, port)

        # The documented user, holding exactly the two capabilities.
        pid = int(self.podman("inspect", "-f", "{{.State.Pid}}", name).strip())
        st = caps_of(pid)
        self.assertEqual(st["Uid"], ["10029"] * 4)
        want_caps = (1 << CAP_DAC_READ_SEARCH) | (1 << CAP_NET_ADMIN)
        self.assertEqual((st["CapPrm"], st["CapEff"], st["CapAmb"]), (want_caps,) * 3)
        self.assertIn("capabilities held: CAP_DAC_READ_SEARCH", logs)

        # HEALTHCHECK (same MAILFLOW_WEB_LISTEN_ADDRESS as the server).
        hc = subprocess.run(["podman", "healthcheck", "run", name], env=self.podman.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=60)
        self.assertEqual(hc.returncode, 0, hc.stdout)

    def test_without_capabilities_it_serves_and_says_what_is_missing(self):
        name, url = self.run_container(env=["MAILFLOW_LOG_PATH=" + self.pf.log_file])
        m = self.scrape(url)
        self.assertEqual(m.get("mailflow_collector_success", collector="queue"), 0)
        self.assertEqual(m.get("mailflow_collector_success", collector="firewall"), 0)
        self.assertEqual(m.get("mailflow_collector_success", collector="listen"), 1)
        logs = self.logs(name)
        self.assertIn("capabilities held: none; missing: CAP_DAC_READ_SEARCH", logs)
        pid = int(self.podman("inspect", "-f", "{{.State.Pid}}", name).strip())
        self.assertEqual(caps_of(pid)["CapEff"], 0)

    def test_sidecar_own_pid_namespace_log_on_stdin(self):
        """Postfix run the way containers run it (`postfix start-fg`, its log
        on stdout) and the exporter in its own pid namespace with that stdout
        piped in: `docker logs -f postfix | docker run -i ...`."""
        pf = PostfixInstance(netns=self.ns)
        pf.set(maillog_file="/dev/stdout")
        master = harness.start_process(
            ["ip", "netns", "exec", self.ns, "postfix", "-c", pf.etc, "start-fg"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        pf.running = True
        wait_for(pf.listening, 15, what="postfix start-fg")
        self.write_config("sidecar.yml", pf)
        name, url = self.run_container(
            "--cap-add=DAC_READ_SEARCH", "--cap-add=NET_ADMIN", pid_host=False,
            stdin=master.stdout, pf=pf, config="sidecar.yml",
            env=["MAILFLOW_LOG_SOURCE=stdin"])
        send_deferred(pf, 2)
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_delivery_errors_total",
                                              status="deferred",
                                              reason="connection_refused") == 2 and m)(
            self.scrape(url)), 30, what="deferrals read from stdin")
        logs = self.logs(name)
        self.assertEqual(m.get("mailflow_log_source_up", source="stdin"), 1, logs)
        for c in ("queue", "firewall", "listen", "log"):
            self.assertEqual(m.get("mailflow_collector_success", collector=c), 1, c + logs)
        self.assertEqual(m.get("mailflow_queue_messages", queue="deferred"), 2)
        # The master's pid is another namespace's: not visible from here.
        pid = pf.master_pid()
        self.assertNotIn(
            "%d" % pid, self.podman("exec", name, "/bin/sh", "-c", "ls /proc").split())

    def test_journal_only_host(self):
        """No mail.log: the host's journal directory and machine id mounted,
        a real journal file (systemd-journal-remote) with Postfix entries."""
        from test_log_sources import REMOTE, export_entry, write_journal
        if not os.access(REMOTE, os.X_OK):
            self.skipTest(REMOTE + " missing (package systemd-journal-remote)")
        journal = tmpdir("mailflow-image-journal-")
        machine_id = uuid.uuid4().hex
        os.makedirs(os.path.join(journal, machine_id))
        msg = ("%s: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, "
               "delays=0.1/0.2/0.3/0.4, dsn=2.0.0, status=sent (250 ok)")
        write_journal(os.path.join(journal, machine_id, "system.journal"),
                      "".join(export_entry(1700000000000000 + i * 1000000, "postfix/smtp",
                                           msg % ("%010X" % (0xB00000 + i)))
                              for i in range(3)) +
                      export_entry(1700000009000000, "sshd", "Accepted publickey for root"))
        with open(os.path.join(self.conf_dir, "machine-id"), "w") as f:
            f.write(machine_id + "\n")
        os.chmod(os.path.join(self.conf_dir, "machine-id"), 0o644)
        name, url = self.run_container(
            "--cap-add=DAC_READ_SEARCH", "--cap-add=NET_ADMIN",
            "-v", journal + ":/var/log/journal:ro",
            "-v", os.path.join(self.conf_dir, "machine-id") + ":/etc/machine-id:ro",
            env=["MAILFLOW_LOG_SOURCE=journal"])
        m = wait_for(lambda: (lambda m: m.get("mailflow_log_lines_total") == 3 and m)(
            self.scrape(url)), 30, what="journal entries")
        self.assertEqual(m.get("mailflow_log_deliveries_total", status="sent", transport="smtp"),
                         3, self.logs(name))
        self.assertEqual(m.get("mailflow_log_source_up", source="journal"), 1)
        # The image has no postfix user: the host's uid cannot be named, so
        # entries are trusted by tag, and the exporter says how to do better.
        self.assertIn("journal_trusted_users: this host has no user", self.logs(name))

    def test_image_metadata_and_contents(self):
        inspect = json.loads(self.podman("image", "inspect", IMAGE))[0]
        labels = inspect["Labels"]
        self.assertEqual(labels["org.opencontainers.image.version"], project_version())
        self.assertEqual(labels["org.opencontainers.image.revision"], self.revision)
        self.assertEqual(labels["org.opencontainers.image.title"], "mailflow_exporter")
        self.assertEqual(inspect["Config"]["User"], "10029:10029")
        self.assertEqual(inspect["Config"]["Entrypoint"], ["/usr/bin/mailflow_exporter"])
        self.assertIn("--health-check", inspect["Healthcheck"]["Test"])
        out = self.podman("run", "--rm", "--entrypoint", "/bin/sh", IMAGE, "-c",
                          "getcap /usr/bin/mailflow_exporter; "
                          "command -v c++ cmake ninja || true")
        self.assertEqual(out.strip(),
                         "/usr/bin/mailflow_exporter cap_dac_read_search,cap_net_admin=p")
        base = json.loads(self.podman("image", "inspect", "docker.io/library/debian:12-slim"))
        print("[size] image %.1f MB, debian:12-slim %.1f MB (+%.1f MB)" % (
            inspect["Size"] / 1e6, base[0]["Size"] / 1e6,
            (inspect["Size"] - base[0]["Size"]) / 1e6))
        # Runtime libraries, nft/iptables and the binary; a build tool or
        # -dev package leaking in would add far more.
        self.assertLess(inspect["Size"] - base[0]["Size"], 40e6)


if __name__ == "__main__":
    unittest.main()
