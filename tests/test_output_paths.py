"""Output paths: what is there and not the tool's own file is written through or refused,
never replaced, and every destination is probed for writing before any work."""
import os
import subprocess
import threading

import pytest
from conftest import git, gup_unify

from gupunify.common import util


def branches(tree):
    return git(tree, "branch", "--list", "--format=%(refname:short)").split()


# -- util.write_atomic -----------------------------------------------------

def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    util.write_atomic(str(fifo), "diff text\n")
    reader.join(10)
    assert got == [b"diff text\n"]
    assert os.path.exists(fifo) and not os.path.isfile(fifo)


def test_a_symlink_is_written_through_as_the_shell_does_and_stays(tmp_path):
    (tmp_path / "real").write_text("old text, longer than the new\n")
    (tmp_path / "link").symlink_to("real")
    inode = os.stat(tmp_path / "real").st_ino
    util.write_atomic(str(tmp_path / "link"), "new\n")
    assert os.readlink(tmp_path / "link") == "real"
    assert (tmp_path / "real").read_text() == "new\n"
    assert os.stat(tmp_path / "real").st_ino == inode
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_a_symlink_to_a_pipe_is_written_through(tmp_path):
    """/dev/stdout when standard output is a pipe: a link to /proc/self/fd/1."""
    read_end, write_end = os.pipe()
    (tmp_path / "stdout").symlink_to("/proc/self/fd/%d" % write_end)
    util.write_atomic(str(tmp_path / "stdout"), "through the pipe\n")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        assert f.read() == b"through the pipe\n"
    assert sorted(os.listdir(tmp_path)) == ["stdout"]


def test_a_dangling_symlink_makes_its_target(tmp_path):
    (tmp_path / "link").symlink_to("made")
    util.write_atomic(str(tmp_path / "link"), "new\n")
    assert os.path.islink(tmp_path / "link") and (tmp_path / "made").read_text() == "new\n"


def test_a_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(util.UserError, match="is a directory"):
        util.write_atomic(str(tmp_path / "d"), "x")
    assert os.listdir(tmp_path / "d") == []


# -- spatch --diff -----------------------------------------------------------

def test_diff_into_a_fifo_leaves_the_fifo(tree, tmp_path, need_spatch):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    proc = gup_unify("-q", "spatch", str(tree), "--diff", str(fifo), "--reports",
                     str(tmp_path / "rep"), scratch=tmp_path / "s")
    reader.join(30)
    assert proc.returncode == 0, proc.stderr
    assert got and got[0].startswith(b"diff --git ")
    assert not os.path.isfile(fifo) and os.path.exists(fifo)


def test_diff_through_a_symlink_writes_its_target(tree, tmp_path, need_spatch):
    (tmp_path / "target.diff").write_text("old\n")
    (tmp_path / "link.diff").symlink_to(tmp_path / "target.diff")
    proc = gup_unify("-q", "spatch", str(tree), "--diff", str(tmp_path / "link.diff"),
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    assert os.path.islink(tmp_path / "link.diff")
    text = (tmp_path / "target.diff").read_text()
    assert text.startswith("diff --git ")
    check = subprocess.run(["git", "-C", str(tree), "apply", "--check",
                            str(tmp_path / "target.diff")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_diff_dash_is_standard_output(tree, tmp_path, need_spatch):
    proc = subprocess.run(["sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", str(tmp_path),
                           "/usr/bin/python3", os.path.join(os.path.dirname(__file__), "..",
                                                            "scripts", "gup-unify"),
                           "-q", "spatch", str(tree), "--diff", "-", "--reports",
                           str(tmp_path / "rep")],
                          capture_output=True, env=dict(os.environ,
                                                        GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "-").exists()
    # standard output is the diff alone, and it applies; the summary went to stderr
    assert proc.stdout.startswith(b"diff --git ")
    assert b"result: converted" in proc.stderr and b"result:" not in proc.stdout
    check = subprocess.run(["git", "-C", str(tree), "apply", "--check"], input=proc.stdout,
                           capture_output=True)
    assert check.returncode == 0, check.stderr
    assert branches(tree) == ["master"]


# -- read-only destinations, found before any work -------------------------

@pytest.fixture
def read_only(tmp_path):
    """A read-only file system at tmp_path/ro (a tmpfs mounted ro; root only)."""
    where = tmp_path / "ro"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here (needs root): %s"
                    % mounted.stderr.strip())
    yield where
    subprocess.run(["umount", str(where)], check=True)


@pytest.mark.parametrize("job, option, name", [
    ("spatch", "--reports", "ro/rep"), ("series", "--reports", "ro/rep"),
    ("series", "--output", "ro/out"), ("spatch", "--diff", "ro/x.diff")])
def test_a_read_only_destination_is_refused_before_any_work(tree, tmp_path, read_only, job,
                                                           option, name):
    args = ["-q", job, str(tree), option, str(tmp_path / name)]
    if option != "--reports":
        args += ["--reports", str(tmp_path / "rep")]
    proc = gup_unify(*args, scratch=tmp_path / "s")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert "cannot be written: %s is on a read-only file system" % read_only in proc.stderr
    assert branches(tree) == ["master"]
    assert not (tmp_path / "s" / "worktrees").exists()


@pytest.mark.parametrize("job, args, message", [
    ("spatch", ["--diff", ""], "--diff is empty: name a file"),
    ("series", ["--output", ""], "--output is empty: name a directory"),
    ("spatch", ["--reports", ""], "--reports is empty: name a directory"),
    ("series", ["--output", "-"], "--output -: the series are a folder"),
    ("spatch", ["--reports", "-"], "--reports -: the reports go to a folder"),
])
def test_an_empty_path_or_a_folder_on_standard_output_is_refused(tree, tmp_path, job, args,
                                                                  message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proc = gup_unify("-q", job, str(tree), *args, scratch=tmp_path / "s")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("gup-unify: error: " + message), proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert branches(tree) == ["master"]
    assert not (tmp_path / "-").exists()
