"""A real headless browser for the tests: Debian's chromium, driven over the
DevTools protocol (a websocket on loopback) with the standard library only.

Chromium runs with its background networking off and a throwaway profile;
`Browser.visit()` loads a page and reports every request the page made,
every console message, log entry and exception, and the HTTP status, so a
test can assert that a page pulls nothing from elsewhere and has no errors.
Run it inside the network namespace the page's server is in (the DevTools
port is on that namespace's loopback): tests call tools/browser_check.py
under `ip netns exec`, which uses this module.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-default-apps", "--disable-sync",
    "--disable-extensions", "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
]


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: text frames, masking,
    fragmentation, ping/pong, close."""

    def __init__(self, url, timeout):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError("websocket handshake: %r" % status)
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send(self, text):
        self._send(0x1, text.encode())

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self):
        try:
            self._send(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Browser:
    """One chromium process with one page. Every wait is bounded by
    `timeout` seconds; close() (or the context manager) kills it."""

    def __init__(self, timeout=30, flags=()):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="mailflow-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            [CHROMIUM] + FLAGS + list(flags) +
            ["--user-data-dir=" + self.profile, "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.monotonic() + timeout
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                raise RuntimeError("chromium did not start its DevTools port")
            time.sleep(0.05)
        port = int(open(port_file).read().split()[0])
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                    timeout=timeout) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"], timeout)
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(domain + ".enable")

    def call(self, method, **params):
        """Sends a command and returns its result; events that arrive
        meanwhile are kept in self.events."""
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def wait_event(self, method, since=0):
        end = time.monotonic() + self.timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            if time.monotonic() > end:
                raise TimeoutError("waiting for " + method)
            self.events.append(json.loads(self.ws.recv()))

    def visit(self, url):
        """Loads url and waits for its load event. Returns what the page
        did: {"status", "requests": [urls], "failed": [urls], "console":
        [messages], "errors": [console errors, log errors, exceptions]}."""
        start = len(self.events)
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", start)
        time.sleep(0.3)  # late requests and console messages
        self.call("Runtime.evaluate", expression="1")  # drains pending events
        ev = self.events[start:]
        report = {"status": None, "requests": [], "failed": [], "console": [], "errors": []}
        main_request = None
        for e in ev:
            m, p = e["method"], e["params"]
            if m == "Network.requestWillBeSent":
                report["requests"].append(p["request"]["url"])
                if p.get("type") == "Document" and main_request is None:
                    main_request = p["requestId"]
            elif m == "Network.responseReceived" and p["requestId"] == main_request:
                report["status"] = p["response"]["status"]
            elif m == "Network.loadingFailed":
                report["failed"].append(p.get("errorText", "") + " " + p["requestId"])
            elif m == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", "")))
                                for a in p.get("args", []))
                report["console"].append("%s: %s" % (p["type"], text))
                if p["type"] in ("error", "assert"):
                    report["errors"].append(text)
            elif m == "Runtime.exceptionThrown":
                report["errors"].append(json.dumps(p["exceptionDetails"])[:500])
            elif m == "Log.entryAdded":
                entry = p["entry"]
                report["console"].append("%s: %s" % (entry["level"], entry["text"]))
                if entry["level"] == "error":
                    report["errors"].append(entry["text"] + " " + entry.get("url", ""))
        return report

    def evaluate(self, expression):
        """The JSON-serialisable value of a JavaScript expression (used only
        to inspect the page; the pages themselves have no scripts)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path, width, height, mobile=False):
        """A full-page PNG at a viewport of width x height CSS pixels."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize", metrics.get("contentSize"))
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width,
                               "height": max(height, size["height"]), "scale": 1})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        self.call("Emulation.clearDeviceMetricsOverride")
        return path

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
