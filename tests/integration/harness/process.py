"""Processes, temp dirs and waits: everything registered for cleanup at exit
(LIFO), also when a test fails or the run is killed with SIGTERM; every wait
bounded."""
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

_cleanups = []


def on_exit(fn):
    """Registers fn to run at interpreter exit (LIFO), even after failures."""
    _cleanups.append(fn)
    return fn


def start_process(cmd, **kw):
    """Starts a long-running helper (subprocess.Popen arguments); killed at
    exit if it still runs."""
    p = subprocess.Popen(cmd, **kw)

    def stop():
        if p.poll() is None:
            p.kill()
            p.wait(10)
    on_exit(stop)
    return p


@atexit.register
def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print("cleanup failed:", e)


def _term(signum, frame):
    _run_cleanups()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _term)


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls pred() until truthy; returns its value or raises TimeoutError."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


def terminate(proc, timeout=10):
    """SIGTERM, then SIGKILL after `timeout` seconds; no-op if exited."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tmpdir(prefix="mailflow-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    on_exit(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


def run(cmd, check=True, **kw):
    """Runs a command (argv list, never a shell string) and returns stdout."""
    kw.setdefault("timeout", 120)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (
            " ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


def _port_listening(port, host="127.0.0.1"):
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def start_concurrently(fn, items, what, timeout=180):
    """Calls fn(item) for every item in its own thread (independent Postfix
    hosts start in parallel) and raises one AssertionError naming every
    item whose call failed (str(item): the error)."""
    errors = []

    def call(item):
        try:
            fn(item)
        except Exception as e:  # reported below, with the item's name
            errors.append("%s: %s" % (item, e))
    threads = [threading.Thread(target=call, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if errors:
        raise AssertionError("%s failed to start: %s" % (what, errors))
