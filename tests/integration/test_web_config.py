"""--web.config.file (exporter-toolkit format) against real clients.

A throwaway CA, server and client certificates are made with the openssl CLI
and passwords hashed with htpasswd -B (apache2-utils: a bcrypt independent of
the exporter's libxcrypt). The real exporter serves HTTPS on 127.0.0.1 and
curl, openssl s_client, Python's ssl module and a real Prometheus talk to it.
Debian's civetweb 1.15 crashed on every HTTPS connection with OpenSSL 3 before
the libssl.so shim (exporter/ssl_shim/), so every client makes many fresh
connections and the exporter must still be alive afterwards.
"""
import base64
import http.client
import os
import ssl
import subprocess
import unittest

import harness
from harness import EXPORTER, Exporter, Prometheus, run, wait_for

PASSWORD = "correct horse:battery"


def openssl(*args, cwd):
    run(["openssl"] + list(args), cwd=cwd)


def make_pki(d):
    """CA + server cert (127.0.0.1), a client CA + client cert, and a
    self-signed client cert no CA vouches for."""
    def ca(name):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=mailflow test %s" % name, "-keyout", name + ".key",
                "-out", name + ".crt", cwd=d)

    def leaf(name, issuer, ext):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".crt",
                "-CAkey", issuer + ".key", "-CAcreateserial", "-days", "2",
                "-out", name + ".crt", "-extfile", name + ".ext", cwd=d)

    ca("ca")
    ca("client-ca")
    ca("rogue")  # self-signed, used as an untrusted client certificate
    leaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
         "extendedKeyUsage=serverAuth")
    leaf("client", "client-ca", "extendedKeyUsage=clientAuth")


def bcrypt(user, password, cost=10):
    out = run(["htpasswd", "-nbB", "-C", str(cost), user, password]).strip()
    return out.split(":", 1)[1]


def auth_header(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return "Basic " + token


class WebConfigBase(unittest.TestCase):
    """A throwaway PKI and password hash, and the helpers every test uses."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.tmpdir("mailflow-web-")
        make_pki(cls.dir)
        cls.hash = bcrypt("alice", PASSWORD)
        cls.ca = cls.path("ca.crt")

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def web_config(self, tls_extra="", users=True, tls=True, headers=True):
        text = ""
        if tls:
            text += ("tls_server_config:\n  cert_file: %s\n  key_file: %s\n" %
                     (self.path("server.crt"), self.path("server.key")) + tls_extra)
        if headers:
            text += ("http_server_config:\n  headers:\n"
                     "    X-Frame-Options: deny\n"
                     "    Strict-Transport-Security: max-age=63072000\n")
        if users:
            text += "basic_auth_users:\n  alice: '%s'\n" % self.hash
        return text

    def start(self, web_config):
        exporter = Exporter(web_config=web_config,
                            args=["--collector.disable-defaults",
                                  "--web.enable-lifecycle"]).start()
        self.addCleanup(exporter.stop)
        return exporter

    def curl(self, url, *args, user=None, data=None):
        """(curl exit code, HTTP status, headers text, body) of one request
        on a fresh connection (a full TLS handshake each time)."""
        body_path = self.path("curl.body")
        cmd = ["curl", "-s", "-S", "--max-time", "10", "--cacert", self.ca,
               "-D", "-", "-o", body_path, "-w", "\n%{http_code}"] + list(args)
        if user:
            cmd += ["-u", user]
        if data is not None:
            cmd += ["--data-binary", data]
        p = subprocess.run(cmd + [url], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        headers, _, code = p.stdout.rpartition("\n")
        body = ""
        if os.path.exists(body_path):
            with open(body_path) as f:
                body = f.read()
            os.unlink(body_path)
        return p.returncode, int(code or 0), headers, body

    def assertAlive(self, exporter):
        self.assertIsNone(exporter.proc.poll(), "exporter died: " + exporter.log())
        self.assertNotIn("level=error", exporter.log())


class WebConfigTest(WebConfigBase):
    # --- TLS + basic auth, every route ------------------------------------

    def test_https_basic_auth_and_headers(self):
        exp = self.start(self.web_config())
        self.assertEqual(exp.scheme, "https")
        self.assertIn("(TLS)", exp.log())
        good = "alice:" + PASSWORD

        # Many fresh HTTPS connections (the civetweb/OpenSSL 3 crash hit
        # every one of them), with and without credentials.
        for i in range(25):
            rc, code, headers, body = self.curl(exp.url("/metrics"), user=good)
            self.assertEqual((rc, code), (0, 200), headers)
            self.assertIn("mailflow_exporter_build_info", body)
            rc, code, headers, _ = self.curl(exp.url("/metrics"))
            self.assertEqual((rc, code), (0, 401))
            self.assertRegex(headers, r"(?im)^WWW-Authenticate: Basic\r?$")
        for user in ("alice:wrong", "alice:" + PASSWORD + "x", "bob:" + PASSWORD,
                     "alice:"):
            self.assertEqual(self.curl(exp.url("/"), user=user)[:2], (0, 401), user)
        for header in ("Basic !!!", "Bearer x", auth_header("alice", "")):
            self.assertEqual(self.curl(exp.url("/"), "-H", "Authorization: " + header)[:2],
                             (0, 401), header)

        # Every route is behind basic auth, whatever the method or path.
        routes = [("GET", "/", 200), ("GET", "/metrics", 200),
                  ("GET", "/-/healthy", 200), ("GET", "/-/ready", 200),
                  ("GET", "/probe?target=127.0.0.1:1", None),
                  ("GET", "/-/reload", 405), ("POST", "/-/reload", 200),
                  ("HEAD", "/metrics", 200), ("GET", "/nope", 404),
                  ("GET", "/diagnose?format=json", 200), ("GET", "/runbooks", 200),
                  ("POST", "/diagnose", 405),
                  ("DELETE", "/metrics", None)]
        for method, path, want in routes:
            args = ["-I"] if method == "HEAD" else ["-X", method]
            data = "" if method == "POST" else None
            rc, code, headers, _ = self.curl(exp.url(path), *args, data=data)
            self.assertEqual(code, 401, "%s %s without credentials" % (method, path))
            self.assertIn("X-Frame-Options: deny", headers)
            rc, code, headers, _ = self.curl(exp.url(path), *args, data=data,
                                             user=good)
            self.assertNotEqual(code, 401, "%s %s with credentials" % (method, path))
            if want:
                self.assertEqual(code, want, "%s %s" % (method, path))
                # The extra headers are on every response we write.
                self.assertIn("X-Frame-Options: deny", headers)
                self.assertIn("Strict-Transport-Security: max-age=63072000", headers)

        # Python's ssl: one keep-alive connection, then fresh ones.
        ctx = ssl.create_default_context(cafile=self.ca)
        host, port = exp.address.split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        for i in range(50):
            conn.request("GET", "/-/healthy",
                         headers={"Authorization": auth_header("alice", PASSWORD)})
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (200, b"Healthy\n"))
        conn.close()
        for i in range(25):
            conn = http.client.HTTPSConnection(host, int(port), context=ctx,
                                               timeout=10)
            conn.request("GET", "/-/ready")
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 401)
            self.assertEqual(r.getheader("WWW-Authenticate"), "Basic")
            conn.close()

        # openssl s_client: the chain verifies and an HTTP request is served.
        p = subprocess.run(
            ["openssl", "s_client", "-connect", exp.address, "-CAfile", self.ca,
             "-verify_return_error", "-ign_eof", "-brief"],
            input="GET /-/healthy HTTP/1.0\r\nAuthorization: %s\r\n\r\n" %
                  auth_header("alice", PASSWORD),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("Verification: OK", p.stdout)
        self.assertIn("HTTP/1.1 200 OK", p.stdout)
        self.assertIn("Healthy", p.stdout)

        # Plain HTTP on the HTTPS port gets no HTTP answer.
        for i in range(5):
            rc, code, _, _ = self.curl(exp.url("/metrics").replace("https:", "http:"),
                                       user=good)
            self.assertNotEqual(rc, 0)
            self.assertEqual(code, 0)
        # An unverified server certificate is refused by the client.
        p = subprocess.run(["curl", "-s", "--max-time", "10", exp.url("/-/healthy")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 60)  # peer certificate cannot be verified
        self.assertAlive(exp)

    def test_min_version_tls13(self):
        exp = self.start(self.web_config("  min_version: TLS13\n", users=False))
        self.assertEqual(self.curl(exp.url("/-/healthy"), "--tlsv1.3")[:2], (0, 200))
        rc, code, _, _ = self.curl(exp.url("/-/healthy"), "--tlsv1.2", "--tls-max", "1.2")
        self.assertNotEqual(rc, 0)
        self.assertEqual(code, 0)
        self.assertAlive(exp)

    def test_default_min_version_refuses_tls11(self):
        exp = self.start(self.web_config(users=False))
        p = subprocess.run(["openssl", "s_client", "-connect", exp.address,
                            "-tls1_1", "-CAfile", self.ca],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertEqual(self.curl(exp.url("/-/healthy"), "--tls-max", "1.2")[:2],
                         (0, 200))
        self.assertAlive(exp)

    # --- client certificates ----------------------------------------------

    def client_cert_results(self, client_auth, ca_file=None):
        extra = "  client_auth_type: %s\n" % client_auth
        if ca_file:
            extra += "  client_ca_file: %s\n" % self.path(ca_file)
        exp = self.start(self.web_config(extra, users=False))
        results = {}
        for name, args in (("none", []),
                           ("trusted", ["--cert", self.path("client.crt"),
                                        "--key", self.path("client.key")]),
                           ("rogue", ["--cert", self.path("rogue.crt"),
                                      "--key", self.path("rogue.key")])):
            # Twice each, on fresh connections.
            codes = {self.curl(exp.url("/-/healthy"), *args)[1] for _ in range(2)}
            self.assertEqual(len(codes), 1, (client_auth, name, codes))
            results[name] = codes.pop()
        self.assertAlive(exp)
        return results

    def test_client_auth_types(self):
        self.assertEqual(self.client_cert_results("NoClientCert"),
                         {"none": 200, "trusted": 200, "rogue": 200})
        self.assertEqual(self.client_cert_results("RequestClientCert"),
                         {"none": 200, "trusted": 200, "rogue": 200})
        self.assertEqual(self.client_cert_results("RequireAnyClientCert"),
                         {"none": 0, "trusted": 200, "rogue": 200})
        self.assertEqual(
            self.client_cert_results("VerifyClientCertIfGiven", "client-ca.crt"),
            {"none": 200, "trusted": 200, "rogue": 0})
        self.assertEqual(
            self.client_cert_results("RequireAndVerifyClientCert", "client-ca.crt"),
            {"none": 0, "trusted": 200, "rogue": 0})

    # --- basic auth over plain HTTP -----------------------------------------

    def test_basic_auth_without_tls(self):
        exp = self.start(self.web_config(tls=False))
        self.assertEqual(exp.scheme, "http")
        self.assertNotIn("(TLS)", exp.log())
        status, _ = exp.get("/metrics")
        self.assertEqual(status, 401)
        status, body = exp.get("/metrics", headers={
            "Authorization": auth_header("alice", PASSWORD)})
        self.assertEqual(status, 200)
        self.assertIn(b"mailflow_exporter_build_info", body)

    def test_without_web_config_plain_http_as_before(self):
        exp = self.start(None)
        status, headers, _ = harness.http(exp.url("/metrics"))
        self.assertEqual(status, 200)
        self.assertNotIn("X-Frame-Options", headers)

    # --- a real Prometheus ------------------------------------------------------

    def test_prometheus_scrapes_over_https_with_basic_auth(self):
        exp = self.start(self.web_config())
        job = ("  - job_name: %s\n    scheme: https\n%s"
               "    tls_config:\n      ca_file: %s\n"
               "    static_configs:\n      - targets: ['%s']\n")
        auth = ("    basic_auth:\n      username: alice\n      password: '%s'\n" %
                PASSWORD)
        extra = (job % ("secure", auth, self.ca, exp.address) +
                 job % ("no_credentials", "", self.ca, exp.address))
        # The default job scrapes the same target over plain HTTP.
        prom = Prometheus([exp.address], job="plain_http",
                          extra_scrape_configs=extra).start()

        def up(job_name):
            r = prom.query('up{job="%s"}' % job_name)
            return r and float(r[0]["value"][1])

        wait_for(lambda: up("secure") == 1, 60, interval=0.5,
                 what="prometheus to scrape over https")
        wait_for(lambda: up("no_credentials") == 0 and up("plain_http") == 0, 60,
                 interval=0.5, what="the other jobs to fail")
        # Several scrapes later it still works (cached bcrypt, no crash).
        wait_for(lambda: float(prom.query(
            'count_over_time(up{job="secure"}[1m])')[0]["value"][1]) >= 5,
                 60, interval=0.5, what="five scrapes")
        self.assertEqual(prom.query('min_over_time(up{job="secure"}[1m])')[0]
                         ["value"][1], "1")
        r = prom.query('mailflow_exporter_build_info{job="secure"}')
        self.assertEqual(len(r), 1)
        prom.stop()
        self.assertAlive(exp)

    # --- bad files stop the exporter --------------------------------------------

    def run_exporter(self, *args):
        p = subprocess.run([EXPORTER, "--web.listen-address=127.0.0.1:0",
                            "--collector.disable-defaults"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_bad_web_config_exits_1_with_position(self):
        bad = self.write("bad.yml", "tls_server_config:\n  cert_file: a\n"
                         "  certfile: b\n")
        rc, out = self.run_exporter("--web.config.file=" + bad)
        self.assertEqual(rc, 1, out)
        self.assertIn('%s:3:3: unknown key \\"certfile\\"' % bad, out)
        rc, out = self.run_exporter("--web.config.file=" + bad, "--config.check")
        self.assertEqual(rc, 1, out)
        self.assertEqual(out.strip(), '%s:3:3: unknown key "certfile"' % bad)

        missing = self.write("missing.yml", "tls_server_config:\n"
                             "  cert_file: nope.crt\n  key_file: server.key\n")
        rc, out = self.run_exporter("--web.config.file=" + missing)
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot load cert_file %s" % self.path("nope.crt"), out)

        rc, out = self.run_exporter("--web.config.file=" + self.path("absent.yml"))
        self.assertEqual(rc, 1, out)
        self.assertIn("absent.yml: cannot read", out)

        # Relative paths are relative to the web config's directory.
        good = self.write("good.yml", "tls_server_config:\n"
                          "  cert_file: server.crt\n  key_file: server.key\n")
        rc, out = self.run_exporter("--web.config.file=" + good, "--config.check")
        self.assertEqual(rc, 0, out)
        self.assertIn("%s: web configuration is valid" % good, out)


if __name__ == "__main__":
    unittest.main()
