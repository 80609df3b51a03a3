"""HTTP requests from the test, or from inside a network namespace."""
import subprocess
import urllib.error
import urllib.request

def http(url, data=None, headers=None, timeout=30):
    """Returns (status, headers, body bytes); never raises on HTTP errors.
    A connection failure is status 0."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except (urllib.error.URLError, ConnectionError) as e:
        return 0, {}, str(e).encode()


def http_in(netns, url, data=None, headers=None, timeout=60):
    """(status, body bytes) of a request made from inside network namespace
    `netns` (curl under ip netns exec), or directly when netns is None.
    A connection failure is status 0."""
    if not netns:
        status, _, body = http(url, data=data, headers=headers, timeout=timeout)
        return status, body
    cmd = ["ip", "netns", "exec", netns, "curl", "-s", "-o", "-",
           "-w", "\n%{http_code}", "--max-time", str(timeout)]
    for k, v in (headers or {}).items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if data is not None:
        cmd += ["-X", "POST", "--data-binary", data.decode() or ""]
    out = subprocess.run(cmd + [url], stdout=subprocess.PIPE, timeout=timeout + 30).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code or 0), body


def _ns(netns, cmd):
    return (["ip", "netns", "exec", netns] if netns else []) + cmd
