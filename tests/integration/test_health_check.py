"""`mailflow_exporter --health-check` (the image's HEALTHCHECK) against the
real exporter: plain HTTP, TLS with basic auth (401 still means alive), the
listen address from the environment, and the failures it must report
(nothing listening, a server that never answers) with exit status 1.
"""
import os
import socket
import subprocess
import unittest

import harness
from harness import EXPORTER, Exporter, on_exit
from test_web_config import bcrypt, make_pki


def health_check(*args, env=None):
    p = subprocess.run([EXPORTER, "--health-check"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout.strip()


class HealthCheckTest(unittest.TestCase):
    def test_plain_http_by_flag_and_by_environment(self):
        ex = Exporter(args=["--collector.disable-defaults"]).start()
        self.assertEqual(health_check("--web.listen-address=" + ex.address),
                         (0, "healthy: HTTP 200 from http://%s/-/healthy" % ex.address))
        self.assertEqual(health_check(env={"MAILFLOW_WEB_LISTEN_ADDRESS": ex.address}),
                         (0, "healthy: HTTP 200 from http://%s/-/healthy" % ex.address))
        ex.stop()
        code, out = health_check("--web.listen-address=" + ex.address)
        self.assertEqual((code, out), (
            1, "unhealthy: connect %s: Connection refused" % ex.address))

    def test_tls_with_and_without_basic_auth(self):
        d = harness.tmpdir("mailflow-health-")
        make_pki(d)
        tls = "tls_server_config:\n  cert_file: %s\n  key_file: %s\n" % (
            os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
        users = "basic_auth_users:\n  alice: '%s'\n" % bcrypt("alice", "secret")
        for web, status in ((tls, 200), (tls + users, 401)):
            ex = Exporter(args=["--collector.disable-defaults"], web_config=web).start()
            code, out = health_check("--web.listen-address=" + ex.address,
                                     env={"MAILFLOW_WEB_CONFIG_FILE": ex.web_config_path})
            self.assertEqual((code, out), (
                0, "healthy: HTTP %d from https://%s/-/healthy" % (status, ex.address)))
            ex.stop()

    def test_a_server_that_never_answers_is_unhealthy(self):
        s = socket.socket()
        on_exit(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # accepted by the kernel, never read or answered
        addr = "127.0.0.1:%d" % s.getsockname()[1]
        code, out = health_check("--web.listen-address=" + addr)
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith("unhealthy: %s: receive: " % addr), out)

    def test_port_zero_cannot_be_checked(self):
        self.assertEqual(health_check("--web.listen-address=127.0.0.1:0"), (
            1, "unhealthy: 127.0.0.1:0: port 0 is chosen at start and cannot be checked"))


if __name__ == "__main__":
    unittest.main()
