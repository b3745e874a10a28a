import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


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
