import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
# The default migration's folder: its semantic patches and core series.
GUP_FLAGS = os.path.join(ROOT, "migrations", "gup-flags")


def own_environment(setenv, delenv, where, ccache):
    """HOME (no global git config, as on a fresh machine), the default scratch
    area and ccache's cache under where and ccache, nothing of the real HOME."""
    (where / "home").mkdir()
    setenv("HOME", str(where / "home"))
    delenv("XDG_CACHE_HOME", raising=False)
    delenv("XDG_CONFIG_HOME", raising=False)
    setenv("GUP_UNIFY_SCRATCH", str(where / "scratch"))
    setenv("CCACHE_DIR", str(ccache))


@pytest.fixture(scope="session", autouse=True)
def hermetic_session(tmp_path_factory):
    """The environment of the session's and modules' fixtures (made before any test's)."""
    with pytest.MonkeyPatch.context() as mp:
        own_environment(mp.setenv, mp.delenv, tmp_path_factory.mktemp("env"),
                        tmp_path_factory.getbasetemp() / "ccache")
        yield


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory, monkeypatch):
    """Each test's own HOME and scratch area; ccache's cache is the session's: a hit
    changes no result, only the time."""
    own_environment(monkeypatch.setenv, monkeypatch.delenv, tmp_path_factory.mktemp("env"),
                    tmp_path_factory.getbasetemp() / "ccache")


@pytest.fixture(scope="session")
def kernel_tree():
    """The real kernel tree GUP_KERNEL_TREE names (a v5.0 or v5.1.15 git checkout,
    docs/trees.md), as an absolute path; without it the test skips."""
    path = os.environ.get("GUP_KERNEL_TREE")
    if not path:
        pytest.skip("GUP_KERNEL_TREE is not set: no real kernel tree (a v5.0 or v5.1.15 "
                    "git checkout, docs/trees.md)")
    return os.path.abspath(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under make test-real (GUP_TEST_REAL=1) a test of the real tree that skips
    fails: that run exists so that none of them goes unseen."""
    report = (yield).get_result()
    if report.when == "call":
        item.passed = report.passed
    if os.environ.get("GUP_TEST_REAL") == "1" and report.skipped \
            and "kernel_tree" in item.fixturenames:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = "make test-real: a test of the real tree skipped: %s" % reason


@pytest.fixture(autouse=True)
def clones_go_when_passed(request):
    """A test of the real tree checks out clones of it (about 1 GB each): its tmp_path goes
    once it has passed, so that make test-real needs the disk of a few clones, not of all."""
    yield
    tmp = request.node.funcargs.get("tmp_path")
    if tmp and "kernel_tree" in request.fixturenames and getattr(request.node, "passed", False):
        shutil.rmtree(tmp, ignore_errors=True)
LINUX_SOURCE_61 = "/usr/src/linux-source-6.1.tar.xz"


@pytest.fixture(scope="session")
def linux_source_61(tmp_path_factory):
    """Debian's linux-source-6.1 as a git repository of one commit, extracted once per
    session: tests clone it (git clone --shared) and leave it as it is."""
    if not os.path.exists(LINUX_SOURCE_61):
        pytest.skip("%s is absent: make test installs linux-source-6.1 (scripts/deps test)"
                    % LINUX_SOURCE_61)
    where = tmp_path_factory.mktemp("linux-source-6.1")
    subprocess.run(["tar", "-xf", LINUX_SOURCE_61, "-C", str(where)], check=True)
    src = where / "linux-source-6.1"
    git(src, "init", "-q", "-b", "master")
    # 80,000 loose objects make later git commands start a detached gc.
    git(src, "config", "gc.auto", "0")
    # Debian's .gitignore ignores the whole top level.
    git(src, "add", "-A", "-f", ".")
    git(src, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-m",
        "linux-source-6.1")
    return src


@pytest.fixture
def need_spatch():
    if not shutil.which("spatch"):
        pytest.fail("spatch is not installed: run make deps")


SAMPLE = os.path.join(ROOT, "sample", "linux")
CLI = os.path.join(ROOT, "scripts", "gup-unify")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                          capture_output=True, text=True).stdout


def gup_unify(*args, scratch, env=None):
    """Run the CLI as a user would, with its scratch area in scratch."""
    full = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
    full.update(env or {})
    return subprocess.run([sys.executable, CLI] + list(args), capture_output=True,
                          text=True, env=full)


def make_tree(path):
    """The sample tree as a user's git checkout at path, on branch master, with an identity."""
    shutil.copytree(SAMPLE, path)
    git(path, "init", "-q", "-b", "master")
    git(path, "add", "-A")
    git(path, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    git(path, "config", "user.name", "Pat Sender")
    git(path, "config", "user.email", "pat@example.org")
    return path


@pytest.fixture
def tree(tmp_path):
    """The sample tree as a user's git checkout, on branch master, with an identity."""
    return make_tree(tmp_path / "linux")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def distccd(tmp_path):
    """A distccd of our own on 127.0.0.1 (clients from 127.0.0.1 only), stopped after the test.

    Yields (port, log path). It runs in a session of its own: on SIGTERM
    distccd signals its whole process group, which must not be pytest's.
    """
    if not shutil.which("distccd") or not shutil.which("distcc"):
        pytest.skip("distcc is not installed: make test installs Debian's distcc")
    # The log goes to a file we opened: run as root, distccd drops to its own
    # user, who cannot open files under pytest's private tmp_path.
    port, log = free_port(), tmp_path / "distccd.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["distccd", "--daemon", "--no-detach", "--listen", "127.0.0.1",
                                 "--allow", "127.0.0.1", "--port", str(port), "--jobs", "2",
                                 "--log-stderr", "--log-level", "info"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.skip("distccd did not start on 127.0.0.1:%d: %s" % (
                port, log.read_text().strip() or "no answer in 20 s"))
        yield port, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
