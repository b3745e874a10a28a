"""util.run, the one place programs are started; util.write_atomic."""
import io
import os
import re
import time

from gupunify.common import util


def test_trace_has_each_programs_start_wall_seconds_and_command_line(tmp_path, monkeypatch):
    trace = tmp_path / "trace"
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(trace))
    monkeypatch.setattr(util, "_BEGAN", time.monotonic())
    util.run(["sleep", "0.2"])
    util.run(["sh", "-c", "exit 3"], check=False)
    lines = trace.read_text().splitlines()
    assert len(lines) == 2
    fields = [re.match(r" *(\d+\.\d{3}) +(\d+\.\d{3}) (.*)$", line).groups()
              for line in lines]
    (start, seconds, command), (later, _, other) = fields
    assert float(start) < 5 and 0.2 <= float(seconds) < 5 and command == "sleep 0.2"
    # The second started once the first had ended: its start says so.
    assert float(later) >= float(start) + 0.2
    assert other == "sh -c exit 3"


def test_no_trace_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("GUP_UNIFY_TRACE", raising=False)
    monkeypatch.chdir(tmp_path)
    util.run(["true"])
    assert list(tmp_path.iterdir()) == []


class _FullDisk:
    """A file whose write fails half-way, as on a full disk."""

    def __init__(self, path):
        self.f = io.open(path, "wb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        self.f.write(data[:3])
        raise OSError(28, "No space left on device")


def test_write_atomic_failing_half_way_keeps_the_old_file_and_no_aside_file(tmp_path,
                                                                            monkeypatch):
    path = tmp_path / "report.md"
    path.write_text("old\n")
    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: (
        _FullDisk(p) if mode == "wb" else io.open(p, mode, *a, **k)))
    try:
        util.write_atomic(str(path), "new text\n")
    except OSError as e:
        assert e.errno == 28
    else:
        raise AssertionError("the failed write was not raised")
    monkeypatch.undo()
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_write_atomic_from_many_threads_at_once(tmp_path):
    """Threads of one run writing the same file (spatch's hints) never lose their aside file."""
    import concurrent.futures
    target = tmp_path / "hints.h"
    text = "#define X 1\n" * 20000
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: util.write_atomic(str(target), text), range(200)))
    assert target.read_text() == text
    assert sorted(os.listdir(tmp_path)) == ["hints.h"]


def test_a_program_run_aside_yields_the_cpu(tmp_path, monkeypatch):
    """aside=True: the program runs at nice 10 more than the run (history beside spatch),
    and is traced and named by its own command line."""
    trace = tmp_path / "trace"
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(trace))
    ours = os.nice(0)
    assert util.run(["nice"])[1].strip() == str(ours)
    assert util.run(["nice"], aside=True)[1].strip() == str(min(ours + 10, 19))
    aside = trace.read_text().splitlines()[1]
    assert aside.endswith(" nice") and "-n 10" not in aside
    rc, _, _ = util.run(["sh", "-c", "exit 4"], check=False, aside=True)
    assert rc == 4
