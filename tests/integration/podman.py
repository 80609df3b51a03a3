"""Podman for tests: the project's image built and run with no registry.

Everything podman keeps lives under BUILD_DIR/podman: its configuration comes
from CONTAINERS_CONF / CONTAINERS_STORAGE_CONF files there (nothing in
/etc/containers or /var/lib/containers). This machine needs runc (crun refuses
hybrid cgroup layouts), the cgroupfs manager, ulimits at the host's hard
limits (podman's defaults need CAP_SYS_RESOURCE) and never the default bridge
network (netavark would write iptables rules on the host): containers use the
host network or a namespace the test made.

The Dockerfile's base images, debian:12 and debian:12-slim, are made with
mmdebstrap from the configured Debian mirror, as Debian's own images are (a
minbase without documentation); one tarball serves both tags (the two
differ only in documentation). The tarball is kept in BUILD_DIR/podman/base
and reused for a week; the .deb tests unpack it as a throwaway root.
"""
import contextlib
import fcntl
import os
import resource
import shutil
import subprocess
import time

import harness
from harness import BUILD_DIR, SOURCE_DIR, run

ROOT = os.path.join(BUILD_DIR, "podman")
BASE_TAR = os.path.join(ROOT, "base", "debian12-slim.tar")
BASE_TAGS = ("docker.io/library/debian:12", "docker.io/library/debian:12-slim")
IMAGE = "localhost/mailflow-exporter:test"
SOURCES = "/etc/apt/sources.list.d/debian.sources"
BASE_MAX_AGE = 7 * 86400


@contextlib.contextmanager
def _locked(name):
    """An exclusive lock on ROOT/NAME.lock: tests running at the same time
    build the base and the image once."""
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, name + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _timed(what, fn):
    start = time.monotonic()
    out = fn()
    print("[time] %s: %.1fs" % (what, time.monotonic() - start), flush=True)
    return out


class Podman:
    def __init__(self):
        os.makedirs(ROOT, exist_ok=True)
        storage = os.path.join(ROOT, "storage.conf")
        with open(storage, "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n'
                    % (os.path.join(ROOT, "storage"), os.path.join(ROOT, "run")))
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
        if nproc == resource.RLIM_INFINITY or nproc > pid_max:
            nproc = pid_max
        conf = os.path.join(ROOT, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\n'
                    'netns = "host"\n[engine]\nruntime = "runc"\n'
                    'cgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                    % (nofile, nofile, nproc, nproc))
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage)

    def __call__(self, *args, check=True, timeout=120, **kw):
        """Runs `podman ARGS` and returns stdout."""
        return run(["podman"] + list(args), check=check, timeout=timeout, env=self.env, **kw)

    def popen(self, *args, **kw):
        return harness.start_process(["podman"] + list(args), env=self.env, **kw)

    def has_image(self, tag):
        return subprocess.run(["podman", "image", "exists", tag], env=self.env,
                              timeout=60).returncode == 0

    def base_images(self):
        """Imports the base tarball as debian:12 and debian:12-slim."""
        made = base_tar()
        with _locked("import"):
            for tag in BASE_TAGS:
                if made or not self.has_image(tag):
                    _timed("import " + tag, lambda: self(
                        "import", "--change", 'CMD ["bash"]', BASE_TAR, tag, timeout=300))

    def build_image(self, tag=IMAGE, rev=None):
        """Builds the repository's Dockerfile (the working tree, as it is) with
        -j2, from the base images, never pulling, labelled with revision
        `rev` (default: git's HEAD now). Returns the build output."""
        self.base_images()
        with _locked("image"):
            out = _timed("podman build", lambda: self(
                "build", "--pull=never", "--network=host", "--format=docker",
                "--build-arg", "JOBS=2", "--build-arg", "VERSION=" + project_version(),
                "--build-arg", "REVISION=" + (rev or revision()), "-t", tag, SOURCE_DIR,
                timeout=3600))
            # Layers of earlier builds of the tag would pile up in BUILD_DIR.
            self("image", "prune", "-f", check=False)
            return out

    def rm(self, name):
        self("rm", "-f", "-t", "5", name, check=False)


def base_tar():
    """Makes BASE_TAR unless a fresh one exists; True when it was made."""
    with _locked("base"):
        if (os.path.isfile(BASE_TAR)
                and time.time() - os.path.getmtime(BASE_TAR) < BASE_MAX_AGE):
            return False
        _timed("mmdebstrap base", make_base_tar)
        return True


def make_base_tar(out=BASE_TAR):
    """A Debian 12 minbase root without documentation, as a tarball."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    # --format: mmdebstrap guesses it from the name, and "NAME.tar.tmp" would
    # be a directory.
    opts = ["--variant=minbase", "--format=tar",
            "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
            "--aptopt=Acquire::Check-Valid-Until \"false\"",
            "--aptopt=Acquire::Languages \"none\""]
    for d in ("man", "groff", "info", "lintian", "linda", "locale", "doc"):
        opts.append("--dpkgopt=path-exclude=/usr/share/%s/*" % d)
    opts += ["--dpkgopt=path-include=/usr/share/locale/locale.alias",
             "--dpkgopt=path-include=/usr/share/doc/*/copyright"]
    tmp = out + ".tmp"
    for stale in (tmp, out):  # an interrupted or older run's directory
        if os.path.isdir(stale):
            shutil.rmtree(stale)
    run(["mmdebstrap", "--quiet"] + opts + ["bookworm", tmp, SOURCES], timeout=1800)
    os.replace(tmp, out)


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(mailflow_exporter VERSION "):
                return line.split()[2]
    raise AssertionError("no project version in CMakeLists.txt")


def revision():
    p = subprocess.run(["git", "-C", SOURCE_DIR, "rev-parse", "--short=12", "HEAD"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip() or "unknown"
