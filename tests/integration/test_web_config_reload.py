"""Reloading --web.config.file (SIGHUP, POST /-/reload) against real clients.

Certificates are rotated under a running exporter (as certbot does) and the
served one is compared, DER for DER, on fresh connections; passwords change;
broken files and TLS on/off switches are refused and change nothing.
"""
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import unittest

from harness import wait_for
from test_web_config import (PASSWORD, WebConfigBase, auth_header, bcrypt,
                             openssl)


def sign_server_cert(d, name, serial, days):
    """A server certificate for 127.0.0.1 from the test CA (ca.crt) with its
    own key, serial number and validity: name.crt, name.key."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
            "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-set_serial", str(serial), "-days", str(days),
            "-out", name + ".crt", "-extfile", name + ".ext", cwd=d)


class WebConfigReloadTest(WebConfigBase):
    """SIGHUP and POST /-/reload re-read --web.config.file: certificates
    and passwords change without a restart; a bad file changes nothing."""

    NEW_PASSWORD = "rotated:secret"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sign_server_cert(cls.dir, "cert-a", 0xA1, 3)
        sign_server_cert(cls.dir, "cert-b", 0xB2, 5)
        cls.new_hash = bcrypt("alice", cls.NEW_PASSWORD)

    def install_cert(self, name):
        """Copies NAME.crt/.key over the files the web config names."""
        for ext in ("crt", "key"):
            shutil.copyfile(self.path("%s.%s" % (name, ext)),
                            self.path("live." + ext))

    def live_web_config(self, users=True, password_hash=None):
        text = ("tls_server_config:\n  cert_file: %s\n  key_file: %s\n" %
                (self.path("live.crt"), self.path("live.key")))
        if users:
            text += "basic_auth_users:\n  alice: '%s'\n" % (password_hash or
                                                            self.hash)
        return text

    def rewrite(self, exp, text):
        with open(exp.web_config_path, "w") as f:
            f.write(text)

    def served_cert(self, exp):
        """DER of the certificate a new connection is served (verified)."""
        ctx = ssl.create_default_context(cafile=self.ca)
        host, port = exp.address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                return s.getpeercert(binary_form=True)

    def der(self, name):
        with open(self.path(name + ".crt")) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    def reload_http(self, exp, password=PASSWORD):
        """POST /-/reload, waiting out the rate limit (429 + Retry-After) as
        a well-behaved client does."""
        for _ in range(5):
            _, code, headers, body = self.curl(exp.url("/-/reload"), "-X", "POST",
                                               user="alice:" + password, data="")
            m = re.search(r"(?im)^Retry-After: (\d+)", headers)
            if code != 429 or not m:
                break
            time.sleep(int(m.group(1)))
        return code, body

    def reload_ok(self, exp, password=PASSWORD):
        m = re.search(r"(?m)^mailflow_config_last_reload_successful (\S+)$",
                      self.curl(exp.url("/metrics"), user="alice:" + password)[3])
        return m and float(m.group(1))

    def status(self, exp, password):
        return self.curl(exp.url("/-/healthy"), user="alice:" + password)[:2]

    def test_sighup_rotates_the_certificate(self):
        self.install_cert("cert-a")
        exp = self.start(self.live_web_config())
        self.assertEqual(self.served_cert(exp), self.der("cert-a"))
        host, port = exp.address.split(":")
        conn = http.client.HTTPSConnection(
            host, int(port), timeout=10,
            context=ssl.create_default_context(cafile=self.ca))
        auth = {"Authorization": auth_header("alice", PASSWORD)}
        conn.request("GET", "/-/healthy", headers=auth)
        self.assertEqual(conn.getresponse().read(), b"Healthy\n")

        self.install_cert("cert-b")  # certbot renewed
        exp.reload(via="signal")
        wait_for(lambda: "web configuration reloaded" in exp.log(), 10,
                 what="the web config reload")
        # Every connection is closed after its response (no keep-alive,
        # issue 17), so each request after the reload handshakes with B.
        conn.request("GET", "/-/healthy", headers=auth)
        r = conn.getresponse()
        self.assertEqual(r.read(), b"Healthy\n")
        self.assertEqual(r.getheader("Connection"), "close")
        conn.close()
        # New connections get B: serial, notAfter, the whole DER.
        for _ in range(5):
            self.assertEqual(self.served_cert(exp), self.der("cert-b"))
        ctx = ssl.create_default_context(cafile=self.ca)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                peer = s.getpeercert()
        self.assertEqual(peer["serialNumber"], "B2")
        p = subprocess.run(["openssl", "s_client", "-connect", exp.address,
                            "-CAfile", self.ca, "-verify_return_error"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertIn("Verify return code: 0 (ok)", p.stdout)
        self.assertIn("CN = cert-b", p.stdout)
        self.assertEqual(self.status(exp, PASSWORD), (0, 200))
        self.assertEqual(self.reload_ok(exp), 1)
        self.assertAlive(exp)

    def test_reload_applies_client_auth_and_versions(self):
        """What SSL_new copies per connection follows the reload too."""
        self.install_cert("cert-a")
        exp = self.start(self.live_web_config(users=False))
        client = ["--cert", self.path("client.crt"), "--key",
                  self.path("client.key")]
        url = exp.url("/-/healthy")
        self.assertEqual(self.curl(url)[:2], (0, 200))
        self.assertEqual(self.curl(url, "--tls-max", "1.2")[:2], (0, 200))
        self.rewrite(exp, self.live_web_config(users=False) +
                     "  client_auth_type: RequireAndVerifyClientCert\n"
                     "  client_ca_file: %s\n  min_version: TLS13\n" %
                     self.path("client-ca.crt"))
        self.assertEqual(self.curl(exp.url("/-/reload"), "-X", "POST", *client,
                                   data="")[:2], (0, 200))
        self.assertEqual(self.curl(url, *client)[:2], (0, 200))
        self.assertEqual(self.curl(url)[1], 0)  # no client certificate
        rogue = ["--cert", self.path("rogue.crt"), "--key",
                 self.path("rogue.key")]
        self.assertEqual(self.curl(url, *rogue)[1], 0)
        self.assertEqual(self.curl(url, "--tls-max", "1.2", *client)[1], 0)
        self.assertAlive(exp)

    def test_post_reload_changes_the_password(self):
        self.install_cert("cert-a")
        exp = self.start(self.live_web_config())
        self.assertEqual(self.status(exp, PASSWORD), (0, 200))  # cached now
        self.rewrite(exp, self.live_web_config(password_hash=self.new_hash))
        # The reload itself is authenticated with the old password.
        self.assertEqual(self.reload_http(exp, self.NEW_PASSWORD)[0], 401)
        self.assertEqual(self.reload_http(exp, PASSWORD), (200, "OK\n"))
        self.assertEqual(self.status(exp, PASSWORD), (0, 401))
        self.assertEqual(self.status(exp, self.NEW_PASSWORD), (0, 200))
        self.assertEqual(self.reload_ok(exp, self.NEW_PASSWORD), 1)
        self.assertIn("web configuration reloaded from " + exp.web_config_path,
                      exp.log())
        self.assertAlive(exp)

    def test_broken_web_config_keeps_the_running_one(self):
        self.install_cert("cert-a")
        good = self.live_web_config()
        exp = self.start(good)
        web = exp.web_config_path
        sign_server_cert(self.dir, "other", 0xC3, 1)
        cases = [
            (good.replace("  key_file:", "  certfile: x\n  key_file:"),
             '%s:3:3: unknown key "certfile"' % web),
            (good.replace(self.path("live.crt"), self.path("nope.crt")),
             "cannot load cert_file %s" % self.path("nope.crt")),
            (good.replace(self.path("live.key"), self.path("other.key")),
             "cannot load key_file %s: key values mismatch" %
             self.path("other.key")),
        ]
        for text, error in cases:
            self.rewrite(exp, text)
            self.install_cert("cert-b")  # would be served if the file were good
            code, body = self.reload_http(exp)
            self.assertEqual(code, 500, body)
            self.assertIn(error, body)
            self.assertIn(error.replace('"', '\\"'), exp.log())
            self.assertEqual(self.reload_ok(exp), 0)
            self.assertEqual(self.served_cert(exp), self.der("cert-a"))
            self.assertEqual(self.status(exp, PASSWORD), (0, 200))
            self.install_cert("cert-a")
        self.assertIn("reload failed, keeping the running web configuration",
                      exp.log())
        # Fixed: the next reload succeeds.
        self.rewrite(exp, good)
        self.install_cert("cert-b")
        self.assertEqual(self.reload_http(exp), (200, "OK\n"))
        self.assertEqual(self.reload_ok(exp), 1)
        self.assertEqual(self.served_cert(exp), self.der("cert-b"))
        self.assertIsNone(exp.proc.poll(), exp.log())

    def test_tls_cannot_be_turned_on_or_off_by_a_reload(self):
        exp = self.start(self.web_config(tls=False))
        self.rewrite(exp, self.web_config())
        _, body = exp.get("/-/reload", data=b"", headers={
            "Authorization": auth_header("alice", PASSWORD)})
        want = ("%s: tls_server_config would turn TLS on, but the exporter "
                "serves plain HTTP until it is restarted" % exp.web_config_path)
        self.assertIn(want, body.decode())
        self.assertIn(want, exp.log())
        status, body = exp.get("/metrics", headers={
            "Authorization": auth_header("alice", PASSWORD)})
        self.assertEqual(status, 200)  # still plain HTTP, same password
        self.assertIn(b"mailflow_config_last_reload_successful 0", body)

        self.install_cert("cert-a")
        exp = self.start(self.live_web_config())
        self.rewrite(exp, self.web_config(tls=False))
        exp.reload(via="signal")
        wait_for(lambda: "which would turn TLS off" in exp.log(), 10,
                 what="the refused reload")
        self.assertEqual(self.served_cert(exp), self.der("cert-a"))
        self.assertEqual(self.reload_ok(exp), 0)
        self.assertIsNone(exp.proc.poll(), exp.log())


if __name__ == "__main__":
    unittest.main()
