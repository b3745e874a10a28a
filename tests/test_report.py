"""The one writer of every job's report: md and json, whole, in a marked folder."""
import json
import os
import re

from gupunify.common import report
from gupunify.convert import convertreport
from gupunify.convert.conversionstate import ConversionState
from gupunify.csource import sites


def test_write_pair_marks_the_folder_and_writes_both_files_whole(tmp_path):
    where = str(tmp_path / "reports" / "linux")
    data = {"steps": [1, 2], "arches": {"x86_64": {}, "arm": {}}, "base": "abc"}
    assert report.write_pair(data, "# Build check\n", where, "/src/linux", "buildcheck",
                             sort_keys=False) == where
    assert sorted(os.listdir(where)) == [".gup-unify", "buildcheck.json", "buildcheck.md"]
    assert (tmp_path / "reports" / "linux" / ".gup-unify").read_text() == \
        "gup-unify reports of the kernel tree /src/linux\n"
    assert (tmp_path / "reports" / "linux" / "buildcheck.md").read_text() == "# Build check\n"
    # check's records keep the order it made them in; every other report is sorted.
    text = (tmp_path / "reports" / "linux" / "buildcheck.json").read_text()
    assert text == json.dumps(data, indent=1) + "\n"
    report.write_pair(data, "", where, "/src/linux", "boottest")
    text = (tmp_path / "reports" / "linux" / "boottest.json").read_text()
    assert text == ('{\n "arches": {\n  "arm": {},\n  "x86_64": {}\n },\n "base": "abc",\n'
                    ' "steps": [\n  1,\n  2\n ]\n}\n')


def test_a_site_record_is_what_reports_readme_says():
    """conversion.json's sites: the fields in order, the optional ones only when set."""
    site = sites.scan("d/x.c", "void f(void)\n{\n\tget_user_pages_fast(a, 1, w, p);\n}\n")[0]
    record = sites.Record.of(site, "converted", None, "spatch", "variable", site)
    assert list(record.to_json().items()) == [
        ("file", "d/x.c"), ("line", 3), ("column", 2), ("api", "get_user_pages_fast"),
        ("kind", "call"), ("idiom", "variable"), ("before", "w"), ("after", "w"),
        ("outcome", "converted"), ("by", "spatch"), ("reason", None)]
    record.group, record.note, record.longterm_candidate = "X", "long line", True
    assert list(record.to_json())[-4:] == ["reason", "longterm_candidate", "note", "group"]
    left = sites.Record.of(site, "manual", "why")
    assert (left.idiom, left.after, left.by, left.to_json()["reason"]) == \
        (None, None, None, "why")


def _rows(markdown, heading):
    table = markdown.split(heading, 1)[1].split("\n\n", 2)[1]
    return [l for l in table.splitlines()[2:]]


def _cells(row):
    """The cells of a GFM table row: split at each | that is not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_every_site_table_keeps_its_columns_and_says_why_a_site_is_left():
    def record(line, kind, before, after, outcome, reason=None, by=None):
        return sites.Record("drivers/x|y.c", line, 1, "get_user_pages_fast", kind, None, before, after,
                            outcome, by, reason)
    records = [record(1, "call", "a | b", "(a | b) ? FOLL_WRITE : 0", "converted", by="spatch"),
               record(2, "define", None, None, "manual",
                      reason="in a #define body: convert by hand"),
               record(3, "call", "FOLL_FORCE | FOLL_WRITE", None, "manual",
                      reason="a FOLL_* value passed as write"),
               record(4, "call", "x `y`", "x `y`", "unchanged")]
    state = ConversionState("t", "r", "v", "none", "b", False, sites=records,
                            base_commit="0" * 40, result="converted")
    text = convertreport.markdown(state)
    rows = _rows(text, "## Every site")
    assert len(rows) == 4
    for row in rows:
        assert len(_cells(row)) == 6, row
    assert "None" not in "\n".join(rows)
    assert _cells(rows[0])[:4] == ["drivers/x\\|y.c:1", "get_user_pages_fast", "`a \\| b`",
                                   "`(a \\| b) ? FOLL_WRITE : 0`"]
    assert _cells(rows[1])[2:5] == ["in a #define", "left: in a #define body: convert by hand",
                                    "manual"]
    assert _cells(rows[2])[2:4] == ["`FOLL_FORCE \\| FOLL_WRITE`",
                                    "left: a FOLL_* value passed as write"]
    assert _cells(rows[3])[2] == "`` x `y` ``"
