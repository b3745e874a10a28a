import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


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
