"""util.run, the one place programs are started."""
import re

from gupunify import util


def test_trace_has_each_programs_wall_seconds_and_command_line(tmp_path, monkeypatch):
    trace = tmp_path / "trace"
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(trace))
    util.run(["sleep", "0.2"])
    util.run(["sh", "-c", "exit 3"], check=False)
    lines = trace.read_text().splitlines()
    assert len(lines) == 2
    seconds, command = re.match(r" *(\d+\.\d{3}) (.*)$", lines[0]).groups()
    assert 0.2 <= float(seconds) < 5 and command == "sleep 0.2"
    assert lines[1].endswith(" sh -c exit 3")


def test_no_trace_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("GUP_UNIFY_TRACE", raising=False)
    monkeypatch.chdir(tmp_path)
    util.run(["true"])
    assert list(tmp_path.iterdir()) == []
