"""What a reader of our commits sees: the semantic patch, text true for its base."""
import glob
import os
import re
import subprocess
import types

from conftest import GUP_FLAGS, ROOT, git, gup_unify

from gupunify.common import migration
from gupunify.convert import callercommits


def test_caller_commits_carry_the_semantic_patch_and_count_in_words(tree, tmp_path,
                                                                    need_spatch):
    done = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert done.returncode == 0, done.stderr
    bodies = git(tree, "log", "--format=%B%x00", "master..gup-unify").split("\x00")
    bodies = [b.strip() + "\n" for b in bodies if b.strip()]
    assert len(bodies) == 10
    for body in bodies:
        # Nothing the reader does not have: no tool name, no file of ours.
        assert "gup-unify" not in body and "cocci/" not in body and ".cocci" not in body
        assert "This converts the 1 call" not in body
        smpl = re.search(r"^// <smpl>\n(.*?)^// </smpl>$", body, re.M | re.S)
        assert smpl, body
        api = "get_user_pages_longterm" if ": use FOLL_LONGTERM" in body.splitlines()[0] \
            else "get_user_pages_fast"
        assert smpl.group(1) == migration.current().rule(api).smpl
        # The sample's mm/gup.c migrates nothing out of CMA areas.
        assert "CMA" not in body
    tiny = next(b for b in bodies if b.startswith("IB/tiny:"))
    assert "This converts the call of get_user_pages_fast() in " \
        "drivers/infiniband/hw/tiny/pin.c." in " ".join(tiny.split())


def test_each_semantic_patch_in_a_message_does_what_the_message_says(tmp_path):
    source = tmp_path / "f.c"
    source.write_text("void f(int w, unsigned long a, struct page **p, void **v)\n{\n"
                      "\tget_user_pages_fast(a, 1, 1, p);\n"
                      "\tget_user_pages_fast(a, 1, 0, p);\n"
                      "\tget_user_pages_fast(a, 1, w, p);\n"
                      "\t__get_user_pages_fast(a, 1, true, p);\n"
                      "\tget_user_pages_longterm(a, 1, FOLL_WRITE, p, v);\n}\n")
    want = {"get_user_pages_fast": ["get_user_pages_fast(a, 1, FOLL_WRITE, p);",
                         "get_user_pages_fast(a, 1, w ? FOLL_WRITE : 0, p);"],
            "__get_user_pages_fast": ["get_user_pages_fast_only(a, 1, FOLL_WRITE, p);"],
            "get_user_pages_longterm": ["get_user_pages(a, 1, FOLL_WRITE | FOLL_LONGTERM, p, v);"]}
    for rule in migration.current().rules:
        api = rule.old
        cocci = tmp_path / ("%s.cocci" % api)
        cocci.write_text(rule.smpl)
        out = subprocess.run(["spatch", "--very-quiet", "--sp-file", str(cocci), str(source)],
                             capture_output=True, text=True).stdout
        added = [l[1:].strip() for l in out.splitlines()
                 if l.startswith("+") and not l.startswith("+++")]
        assert added == want[api], (api, out)


def test_the_longterm_message_names_cma_only_on_a_base_that_migrates(tmp_path):
    record = types.SimpleNamespace(api="get_user_pages_longterm", outcome="converted", file="d/x.c")
    group = types.SimpleNamespace(files=["d/x.c"], prefix="x")
    _, v50 = callercommits._caller_message("get_user_pages_longterm", group, [record], (), fragments=())
    _, v51 = callercommits._caller_message("get_user_pages_longterm", group, [record], (), fragments={"cma"})
    assert "CMA" not in v50 and "v5.1" not in v50
    assert "migrates pages out of CMA areas" in " ".join(v51.split()) and "v5.1" not in v51
    # checkpatch: no line of a commit description over 75 columns, on either base.
    assert max(len(line) for line in (v50 + v51).splitlines()) <= 75
    repo = tmp_path / "r"
    (repo / "mm").mkdir(parents=True)
    git(tmp_path, "init", "-q", str(repo))
    (repo / "mm" / "gup.c").write_text("long __gup_longterm_locked(void);\n")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "v5.0-like")
    assert "cma" not in callercommits.fragments_at(str(repo), "HEAD")
    (repo / "mm" / "gup.c").write_text("static long check_and_migrate_cma_pages(void);\n")
    git(repo, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-am", "v5.1-like")
    assert "cma" in callercommits.fragments_at(str(repo), "HEAD")


def _message(path):
    with open(path) as f:
        return f.read().split("\n---\n", 1)[0]


def test_v5_0_core_patches_say_nothing_that_holds_only_on_v5_1():
    paths = sorted(glob.glob(os.path.join(GUP_FLAGS, "patches", "v5.0", "**", "*.patch"),
                             recursive=True))
    assert len(paths) == 11
    for path in paths:
        text = _message(path)
        for word in ("v5.1", "CMA", "try_get_page", "nocma"):
            assert word not in text, (os.path.relpath(path, ROOT), word)
