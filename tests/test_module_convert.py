"""A module directory converted as its maintainer would: a diff from a plain folder or a
checkout, their files never written, the guard before and after, a second run a no-op."""
import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import CLI, git, gup_unify
from gupunify.convert import moddir

DRIVER = """\
// SPDX-License-Identifier: GPL-2.0
#include "drv.h"

static int drv_dma_map(struct drv *d, unsigned long buf, int n,
		       enum dma_data_direction dir, struct page **pages)
{
	int ret;

	ret = get_user_pages_fast(buf, n, 1/* write */, pages);
	if (ret < n)
		return -EFAULT;
	ret = get_user_pages_fast(buf, n, (dir != DMA_TO_DEVICE), pages);
	ret = get_user_pages_fast(buf, n, d->writable ? 1 : 0, pages);
	ret = get_user_pages_fast(buf, n, 0 /* write */, pages);
	ret = get_user_pages_fast(buf, n, d->gup_flags, pages);
	ret = get_user_pages_fast(buf, n, FOLL_WRITE, pages);
	return get_user_pages_longterm(buf, n, FOLL_WRITE, pages, NULL);
}
"""

HEADER = """\
/* SPDX-License-Identifier: GPL-2.0 */
static inline int drv_pin_chunk(unsigned long start, int chunk, int write,
				struct page **pages)
{
	return get_user_pages_fast(start, chunk, write == 1, pages);
}

static inline int drv_pin_atomic(unsigned long start, struct page **page)
{
	return __get_user_pages_fast(start, 1, 1, page);
}
"""

# What a maintainer gets, line by line: (line, before, after, outcome).
EXPECTED = [
    ("drv.c", 9, "1", "FOLL_WRITE", "converted"),
    ("drv.c", 12, "(dir != DMA_TO_DEVICE)", "(dir != DMA_TO_DEVICE) ? FOLL_WRITE : 0",
     "converted"),
    ("drv.c", 13, "d->writable ? 1 : 0", "d->writable ? FOLL_WRITE : 0", "converted"),
    ("drv.c", 14, "0", "0", "converted"),
    ("drv.c", 15, "d->gup_flags", None, "unchanged"),
    ("drv.c", 16, "FOLL_WRITE", None, "unchanged"),
    ("drv.c", 17, "FOLL_WRITE", "FOLL_WRITE | FOLL_LONGTERM", "converted"),
    ("drv.h", 5, "write == 1", "write == 1 ? FOLL_WRITE : 0", "converted"),
    ("drv.h", 10, "1", "FOLL_WRITE", "converted"),
]


def module(path, driver=DRIVER, header=HEADER):
    path.mkdir(parents=True)
    (path / "drv.c").write_text(driver)
    (path / "drv.h").write_text(header)
    (path / "Makefile").write_text("obj-m += drv.o\n")
    return path


def listing(path):
    """Every file under path with its bytes and modification time."""
    out = {}
    for top, _, names in os.walk(path):
        for name in names:
            full = os.path.join(top, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = (f.read(), os.stat(full).st_mtime_ns)
    return out


def spatch(where, diff, tmp_path, *more):
    return gup_unify("spatch", str(where), "--diff", str(diff), "--reports",
                     str(tmp_path / "reports"), *more, scratch=tmp_path / "scratch")


def cicheck(where, tmp_path):
    return gup_unify("cicheck", str(where), scratch=tmp_path / "scratch")


def test_a_plain_folder_converts_to_a_diff_and_the_guard_passes_after(tmp_path):
    drv = module(tmp_path / "drv")
    before = listing(drv)
    assert cicheck(drv, tmp_path).returncode == 1
    out = spatch(drv, tmp_path / "drv.diff", tmp_path)
    assert out.returncode == 0, out.stderr
    assert listing(drv) == before, "the module's files were written"
    assert "get_user_pages_fast      converted  5" in out.stdout.splitlines()
    assert out.stdout.splitlines()[-1] == "result: converted"
    diff = (tmp_path / "drv.diff").read_text()
    assert "\n-\tret = get_user_pages_fast(buf, n, 1/* write */, pages);\n" \
           "+\tret = get_user_pages_fast(buf, n, FOLL_WRITE, pages);\n" in diff
    assert "+\tret = get_user_pages_fast(buf, n, 0, pages);\n" in diff
    # Over 80 columns: broken before the flag argument, aligned with the parenthesis.
    assert "+\treturn get_user_pages_fast(start, chunk,\n" \
           "+\t\t\t\t   write == 1 ? FOLL_WRITE : 0, pages);\n" in diff
    applied = subprocess.run(["patch", "-p1", "-i", str(tmp_path / "drv.diff")], cwd=drv,
                             capture_output=True, text=True)
    assert applied.returncode == 0, applied.stdout
    guard = cicheck(drv, tmp_path)
    # The long-term and fast-only calls are new-API calls now, their old side in the
    # compat header the conversion wrote: the guard passes.
    assert (guard.returncode, guard.stdout) == (0, ""), guard.stdout
    assert "#include \"drv_gup_compat.h\"" in (drv / "drv.c").read_text()
    again = spatch(drv, tmp_path / "again.diff", tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "result: nothing to do"
    assert not (tmp_path / "again.diff").exists()
    assert "nothing to do: no call to convert; %s not written" % (tmp_path / "again.diff") \
        in again.stderr


def test_the_report_says_which_calls_changed_and_why(tmp_path):
    drv = module(tmp_path / "drv")
    assert spatch(drv, tmp_path / "drv.diff", tmp_path).returncode == 0
    with open(tmp_path / "reports/drv/conversion.json") as f:
        doc = json.load(f)
    assert [(r["file"], r["line"], r["before"], r["after"], r["outcome"])
            for r in doc["sites"]] == EXPECTED
    reasons = {r["line"]: r["reason"] for r in doc["sites"]}
    assert reasons[9] == reasons[14] == moddir.STALE
    assert reasons[15] == moddir.VARIABLE
    # The two calls whose sides cannot be written alike go through the compat header.
    assert reasons[17] == reasons[10] == moddir.WITH_COMPAT
    md = (tmp_path / "reports/drv/conversion.md").read_text()
    assert "| drv.c:12 | get_user_pages_fast() | `(dir != DMA_TO_DEVICE)` | " \
           "`(dir != DMA_TO_DEVICE) ? FOLL_WRITE : 0` | converted |" in md


def test_a_module_inside_someones_checkout(tmp_path):
    """A subdirectory of a repository: paths from the module, the repository untouched."""
    repo = tmp_path / "vendor"
    module(repo / "linux/driver")
    (repo / "tools").mkdir()
    (repo / "tools/pin.c").write_text("int x = get_user_pages_fast(0, 1, 1, 0);\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "base")
    head = git(repo, "rev-parse", "HEAD")
    out = spatch(repo / "linux/driver", tmp_path / "drv.diff", tmp_path)
    assert out.returncode == 0, out.stderr
    diff = (tmp_path / "drv.diff").read_text()
    assert [l for l in diff.splitlines() if l.startswith("diff --git")] == [
        "diff --git a/%s b/%s" % (name, name) for name in (
            "Makefile", "drv.c", "drv.h", "drv_gup_compat.h", "drv_gup_compat.mk",
            "drv_gup_compat_probe.c.in")]
    assert git(repo, "status", "--porcelain") == "" and git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list") == "* master\n" or \
        git(repo, "branch", "--list") == "* main\n"
    applied = subprocess.run(["git", "apply", "--directory=linux/driver",
                              str(tmp_path / "drv.diff")], cwd=repo, capture_output=True,
                             text=True)
    assert applied.returncode == 0, applied.stderr
    # After the diff: no old-API call is left, the compat header covers the two sides.
    assert cicheck(repo / "linux/driver", tmp_path).returncode == 0


def test_odd_bytes_and_line_ends_are_kept(tmp_path):
    drv = module(tmp_path / "drv")
    (drv / "drv.c").write_bytes(DRIVER.replace("SPDX", "SPDX caf\xe9").replace("\n", "\r\n")
                                .encode("latin-1"))
    assert spatch(drv, tmp_path / "drv.diff", tmp_path).returncode == 0
    applied = subprocess.run(["patch", "-p1", "--binary", "-i", str(tmp_path / "drv.diff")],
                             cwd=drv, capture_output=True)
    assert applied.returncode == 0, applied.stdout
    data = (drv / "drv.c").read_bytes()
    assert b"caf\xe9" in data and data.count(b"\r\n") == data.count(b"\n")
    assert b"get_user_pages_fast(buf, n, FOLL_WRITE, pages);\r\n" in data


def test_the_diff_on_standard_output_alone(tmp_path):
    drv = module(tmp_path / "drv")
    out = gup_unify("spatch", str(drv), "--diff", "-", "--reports", str(tmp_path / "r"),
                    scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("diff --git a/Makefile b/Makefile\n")
    assert "result: converted" in out.stderr and "result" not in out.stdout


@pytest.mark.parametrize("args, message", [
    ([], "{drv}: not a kernel tree but a module directory: it is converted to a diff, its "
         "files are left as they are: give --diff FILE (- for standard output)"),
    (["--diff", "{drv}/drv.c"], "--diff {drv}/drv.c is a source file of the module: name "
                                "another"),
    (["--diff", "{drv}"], "--diff {drv} is a directory: name a file"),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    drv = module(tmp_path / "drv")
    before = listing(drv)
    out = gup_unify("spatch", str(drv), *[a.format(drv=drv) for a in args],
                    scratch=tmp_path / "scratch")
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == "gup-unify: error: %s\n" % message.format(drv=drv)
    assert listing(drv) == before


def test_the_compat_step_works_in_the_copy_and_lands_in_the_diff(tmp_path):
    """The hook for the compat header: with it the longterm call is converted too, and
    what it writes in the copy (beside the module's Makefile) is in the diff."""
    drv = module(tmp_path / "drv")
    seen = []

    def compat(copy):
        seen.append(sorted(os.listdir(copy)))
        with open(os.path.join(copy, "drv.c")) as f:
            seen.append([l for l in f if "get_user_pages(" in l])
        with open(os.path.join(copy, "drv_gup_compat.h"), "w") as f:
            f.write("/* both sides */\n")
        return {"header": "drv_gup_compat.h"}

    done = moddir.convert_module(str(drv), str(tmp_path / "drv.diff"),
                                 str(tmp_path / "reports"), compat=compat)
    assert seen == [[".git", "Makefile", "drv.c", "drv.h"],
                    ["\treturn get_user_pages(buf, n, FOLL_WRITE | FOLL_LONGTERM, pages, NULL);\n"]]
    assert "+\treturn get_user_pages_fast_only(start, 1, FOLL_WRITE, page);\n" in \
        (tmp_path / "drv.diff").read_text()
    assert done.run["compat"] == {"header": "drv_gup_compat.h"}
    (longterm,) = [r for r in done.run["sites"] if r.api == "get_user_pages_longterm"]
    assert (longterm.outcome, longterm.reason) == ("converted", moddir.WITH_COMPAT)
    assert "diff --git a/drv_gup_compat.h b/drv_gup_compat.h\nnew file mode 100644\n" in \
        (tmp_path / "drv.diff").read_text()
    assert not (drv / "drv_gup_compat.h").exists()


def test_a_copy_the_caller_owns_is_rewritten_in_place(tmp_path):
    """What a build check converts its scratch copy with; a second pass changes nothing."""
    copy = module(tmp_path / "copy")
    run = moddir.rewrite(str(copy))
    assert [r.outcome for r in run["sites"]].count("converted") == 7
    text = (copy / "drv.c").read_text()
    assert "get_user_pages(buf, n, FOLL_WRITE | FOLL_LONGTERM, pages, NULL)" in text
    before = listing(copy)
    again = moddir.rewrite(str(copy))
    assert listing(copy) == before
    assert "converted" not in [r.outcome for r in again["sites"]]


def test_a_line_left_long_is_said(tmp_path):
    """The argument alone on a deep line: nothing to break, the report says re-wrap."""
    drv = module(tmp_path / "drv", driver="static int pin(struct d *d, struct page **p)\n{\n"
                 "\t\t\tif (d->ok)\n\t\t\t\treturn get_user_pages_fast(d->addr, 1,\n"
                 "\t\t\t\t\t\t\t   d->direction != DMA_TO_DEVICE,\n"
                 "\t\t\t\t\t\t\t   p);\n\treturn 0;\n}\n")
    assert spatch(drv, tmp_path / "drv.diff", tmp_path).returncode == 0
    with open(tmp_path / "reports/drv/conversion.json") as f:
        (site,) = [r for r in json.load(f)["sites"] if r["file"] == "drv.c"]
    assert site["note"] == "its line was already 89 columns: the argument is rewritten in " \
        "place, the line not re-wrapped (106 columns now)"


def test_ctrl_c_keeps_nothing_and_leaves_no_copy(tmp_path):
    """Stopped once the copy is converted: no diff, no report, no scratch copy left."""
    drv = module(tmp_path / "drv")
    before = listing(drv)
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "scratch"),
               GUP_UNIFY_PAUSE_AT="module-converted")
    proc = subprocess.Popen([sys.executable, CLI, "spatch", str(drv), "--diff",
                             str(tmp_path / "drv.diff"), "--reports", str(tmp_path / "r")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err = b""
    while b"paused at module-converted" not in err:
        chunk = os.read(proc.stderr.fileno(), 65536)
        assert chunk, err
        err += chunk
    os.killpg(proc.pid, signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, err + rest
    assert (err + rest).decode().splitlines()[-1] == "gup-unify: interrupted; nothing was kept"
    assert not (tmp_path / "drv.diff").exists() and not (tmp_path / "r").exists()
    assert [p for p in os.listdir(tmp_path / "scratch") if p.startswith("module-")] == []
    assert listing(drv) == before


def test_a_compat_header_is_left_as_it_is(tmp_path):
    """The old calls behind a header's new names are its compat code: a run with the
    compat step leaves them, and a second run over its output changes nothing."""
    drv = module(tmp_path / "drv")
    compat_h = ("#ifdef DRV_OLD\nstatic inline long drv_gup(unsigned long s, unsigned long n,\n"
                "\t\tunsigned int f, struct page **p)\n{\n\tif (f & FOLL_LONGTERM)\n"
                "\t\treturn get_user_pages_longterm(s, n, f & ~FOLL_LONGTERM, p, NULL);\n"
                "\treturn get_user_pages(s, n, f, p, NULL);\n}\n#endif\n")
    (drv / "drv_compat.h").write_text(compat_h)
    run = moddir.rewrite(str(drv))
    assert (drv / "drv_compat.h").read_text() == compat_h
    (left,) = [r for r in run["sites"] if r.file == "drv_compat.h"]
    assert (left.outcome, left.reason) == ("unchanged", moddir.COMPAT_CODE)
    again = moddir.rewrite(str(drv))
    assert "converted" not in [r.outcome for r in again["sites"]]
