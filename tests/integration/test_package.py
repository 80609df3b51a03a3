"""The .deb through its whole life in a throwaway Debian 12 root.

The root is the minbase tarball the image test uses (podman.py, mmdebstrap
from the Debian mirror), unpacked into a temp dir; apt and dpkg run inside it
with chroot, so the package's maintainer scripts run for real. Postfix is
installed in the same root from the mirror and started inside a network
namespace the test makes (an nftables ruleset there drops port 25), with mail
deferred in its queue. Steps, each checked:

1. install (dpkg -i): the user and group exist, the unit, /etc/default file
   and config are shipped, both /etc files are conffiles, the service is
   enabled (deb-systemd-helper's symlink), `systemd-analyze verify` is clean;
2. the exporter started as systemd would start the unit, without systemd:
   setpriv with the unit's User=/Group= (initgroups), NoNewPrivileges and
   its AmbientCapabilities/CapabilityBoundingSet, ExecStart with ARGS from
   /etc/default: the queue, firewall and postfix collectors succeed, queue
   counts equal `postqueue -j`, port 25's verdict is the ruleset's drop;
3. upgrade to a newer build of the package: a locally edited conffile is
   kept, the user is the same, the service still enabled;
4. remove: the binary is gone, the conffiles stay;
5. purge: no file of the package remains, no enablement state, no user.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import BUILD_DIR, on_exit, run, tmpdir, wait_for
import podman

UNIT = "mailflow-exporter.service"
UNIT_PATH = "/usr/lib/systemd/system/" + UNIT
# deb-systemd-helper links the /lib path (the same file with merged /usr).
UNIT_LINKS = (UNIT_PATH, "/lib/systemd/system/" + UNIT)
RULESET = """table inet host_filter {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 25 drop
  }
}
"""
# What dpkg, apt and Postfix's own runs change in the root, not the package.
NOT_OURS = re.compile(r"^/(var/lib/dpkg|var/lib/apt|var/cache|var/log|var/spool/postfix|"
                      r"var/lib/postfix|proc|dev|tmp|run|debs)(/|$)")


def build_debs(out_dir):
    """The package as CPack builds it from this build tree, and the same with
    a higher version (the upgrade). Returns (old, new) paths."""
    paths = []
    version = podman.project_version()
    for v in (version, version + "+test1"):
        d = os.path.join(out_dir, v)
        run(["cpack", "-G", "DEB", "-B", d, "-D", "CPACK_PACKAGE_VERSION=" + v,
             "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake")], timeout=600)
        debs = [f for f in os.listdir(d) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        paths.append(os.path.join(d, debs[0]))
    return paths


class Root:
    """A Debian 12 minbase root in a temp dir, with /proc mounted."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mailflow-debroot-")
        on_exit(self.remove)
        run(["tar", "-xpf", podman.BASE_TAR, "-C", self.dir], timeout=300)
        self.mounts = []
        self.mount(["-t", "proc", "proc"], "/proc")

    def path(self, p):
        return os.path.join(self.dir, p.lstrip("/"))

    def mount(self, args, target):
        os.makedirs(self.path(target), exist_ok=True)
        run(["mount"] + args + [self.path(target)])
        self.mounts.append(self.path(target))

    def sh(self, script, netns=None, check=True, timeout=600, **kw):
        cmd = ["chroot", self.dir, "/bin/sh", "-ec", script]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
               "LC_ALL": "C.UTF-8"}
        return run(cmd, check=check, timeout=timeout, env=env, **kw)

    def files(self):
        out = set()
        for top, dirs, files in os.walk(self.dir):
            rel = "/" + os.path.relpath(top, self.dir).lstrip(".")
            if NOT_OURS.match(rel.rstrip("/") or "/"):
                dirs[:] = []
                continue
            for n in dirs + files:
                out.add(os.path.join(rel, n).replace("//", "/"))
        return out

    def remove(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def unit_settings(text):
    settings = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            settings[m.group(1)] = m.group(2).strip()
    return settings


def setpriv_argv(unit):
    """The unit's identity and capabilities as a setpriv command line."""
    caps = ",".join("+" + c.lower()[4:] for c in unit["AmbientCapabilities"].split())
    bounding = ",".join("+" + c.lower()[4:] for c in unit["CapabilityBoundingSet"].split())
    argv = ["setpriv", "--reuid=" + unit["User"], "--regid=" + unit["Group"], "--init-groups",
            "--inh-caps=-all," + caps, "--ambient-caps=-all," + caps,
            "--bounding-set=-all," + bounding]
    if unit.get("NoNewPrivileges") == "true":
        argv.append("--no-new-privs")
    return argv


class PackageTest(unittest.TestCase):
    def test_lifecycle(self):
        old_deb, new_deb = build_debs(tmpdir("mailflow-debs-"))
        podman.base_tar()
        root = Root()
        os.makedirs(root.path("/debs"))
        for deb in (old_deb, new_deb):
            shutil.copy(deb, root.path("/debs"))
        old, new = ("/debs/" + os.path.basename(d) for d in (old_deb, new_deb))
        # apt reaches the Debian mirror (only apt, only here) with the host's
        # sources and resolver; the package's dependencies, Postfix and nft.
        shutil.copy("/etc/resolv.conf", root.path("/etc/resolv.conf"))
        depends = run(["dpkg-deb", "-f", old_deb, "Depends"]).strip()
        deps = [re.sub(r"\s*\(.*\)", "", d).strip() for d in depends.split(",")]
        # systemd and procps as on any Debian host: `systemd-analyze verify`
        # checks the unit against the root's targets and commands.
        root.sh("echo 'postfix postfix/main_mailer_type select Local only' "
                "| debconf-set-selections; apt-get update -q; apt-get install -y -q "
                "--no-install-recommends postfix nftables systemd procps " + " ".join(deps),
                timeout=1200)
        os.unlink(root.path("/etc/resolv.conf"))
        before = root.files()

        # 1. install
        out = root.sh("dpkg -i " + old)
        self.assertNotIn("warning", out.lower(), out)
        passwd = root.sh("getent passwd mailflow-exporter").split(":")
        self.assertEqual(passwd[5:], ["/nonexistent", "/usr/sbin/nologin\n"])
        self.assertLess(int(passwd[2]), 1000)  # a system user
        self.assertIn("mailflow-exporter", root.sh("id -nG mailflow-exporter"))
        self.assertIn("mailflow-exporter", root.sh("getent group adm"))
        conffiles = root.sh("dpkg-query -W -f='${Conffiles}' mailflow-exporter")
        for f in ("/etc/default/mailflow-exporter", "/etc/mailflow-exporter/config.yml"):
            self.assertIn(f + " ", conffiles)
            self.assertTrue(os.path.isfile(root.path(f)), f)
        wants = root.path("/etc/systemd/system/multi-user.target.wants/" + UNIT)
        self.assertIn(os.readlink(wants), UNIT_LINKS)
        verify = subprocess.run(["systemd-analyze", "verify", "--root=" + root.dir, UNIT_PATH],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=60)
        self.assertEqual((verify.returncode, verify.stdout), (0, ""))

        # 2. run it as the unit would, against a real Postfix
        self.run_as_the_unit(root)

        # 3. upgrade, with a locally edited conffile
        with open(root.path("/etc/default/mailflow-exporter"), "a") as f:
            f.write("# local edit\n")
        uid = passwd[2]
        out = root.sh("dpkg -i " + new)
        self.assertNotIn("warning", out.lower(), out)
        self.assertTrue(root.sh("cat /etc/default/mailflow-exporter").endswith("# local edit\n"))
        self.assertEqual(root.sh("dpkg-query -W -f='${Version}' mailflow-exporter"),
                         podman.project_version() + "+test1")
        self.assertEqual(root.sh("getent passwd mailflow-exporter").split(":")[2], uid)
        self.assertIn(os.readlink(wants), UNIT_LINKS)

        # 4. remove: the program goes, the configuration stays
        root.sh("dpkg -r mailflow-exporter")
        self.assertFalse(os.path.exists(root.path("/usr/bin/mailflow_exporter")))
        self.assertFalse(os.path.exists(root.path(UNIT_PATH)))
        self.assertTrue(os.path.exists(root.path("/etc/default/mailflow-exporter")))

        # 5. purge: nothing left
        root.sh("dpkg -P mailflow-exporter")
        self.assertEqual(sorted(root.files() - before), [])
        self.assertEqual(sorted(before - root.files()), [])
        for db in ("passwd", "group"):
            p = subprocess.run(["chroot", root.dir, "getent", db, "mailflow-exporter"],
                               stdout=subprocess.PIPE, timeout=30)
            self.assertEqual(p.returncode, 2, db)
        self.assertNotIn("mailflow-exporter", root.sh("getent group adm"))

    def run_as_the_unit(self, root):
        ns = "mfdeb%d" % os.getpid()
        run(["ip", "netns", "add", ns])
        on_exit(lambda: subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL))
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=RULESET)
        closed = harness.free_port()
        root.sh("postconf -e 'relayhost = [127.0.0.1]:%d' 'inet_interfaces = loopback-only' "
                "'inet_protocols = ipv4' 'maillog_file = /var/log/postfix.log' "
                "'queue_run_delay = 3600s' 'minimal_backoff_time = 3600s' "
                "'smtp_dns_support_level = disabled' 'mydestination =' "
                "'default_transport = smtp' 'relay_transport = smtp'" % closed)
        root.sh("postfix start", netns=ns)
        on_exit(lambda: root.sh("postfix stop", netns=ns, check=False))
        for i in range(2):
            root.sh("printf 'Subject: t\\n\\nhi\\n' | sendmail -f a@x.test u%d@refused.test" % i)

        def deferred():
            out = root.sh("postqueue -j")
            return out.count('"queue_name": "deferred"') == 2
        wait_for(deferred, 90, interval=0.5, what="mail deferred in the root's Postfix")

        unit = unit_settings(open(root.path(UNIT_PATH)).read())
        args = re.search(r'^ARGS="(.*)"$', open(root.path("/etc/default/mailflow-exporter")).read(),
                         re.M).group(1).split()
        exec_start = unit["ExecStart"].replace("$ARGS", " ".join(args)).split()
        port = harness.free_port()
        log = os.path.join(tmpdir(), "exporter.log")
        cmd = (["ip", "netns", "exec", ns, "chroot", root.dir] + setpriv_argv(unit) + exec_start
               + ["--web.listen-address=127.0.0.1:%d" % port])
        with open(log, "w") as f:
            proc = harness.start_process(cmd, stdout=f, stderr=subprocess.STDOUT)
        url = "http://127.0.0.1:%d" % port
        wait_for(lambda: harness.http_in(ns, url + "/-/healthy", timeout=5)[0] == 200, 20,
                 interval=0.2, what="exporter")
        status, body = harness.http_in(ns, url + "/metrics")
        m = harness.Metrics(body.decode())
        text = open(log).read()
        for c in ("postfix", "queue", "firewall"):
            self.assertEqual(m.get("mailflow_collector_success", collector=c), 1, c + text)
        self.assertEqual(m.get("mailflow_queue_messages", queue="deferred"), 2)
        on = [l["verdict"] for l, v in m.find("mailflow_firewall_inbound_verdict",
                                              backend="nftables", port="25") if v == 1]
        self.assertEqual(on, ["drop"])
        self.assertIn("capabilities held: CAP_DAC_READ_SEARCH", text)
        harness.terminate(proc)


if __name__ == "__main__":
    unittest.main()
