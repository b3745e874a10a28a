"""Subject prefixes: learned from git history per group, the way splitpatch.ml does."""
import json

import pytest
from conftest import git, gup_unify

from gupunify import maintainers, prefixes, split, util


@pytest.mark.parametrize("subject, expected", [
    ("KVM: x86: fix the frobnicator", "KVM: x86"),
    ("drm/via: use the new API", "drm/via"),
    ("media: videobuf-dma-sg: pass flags", "media: videobuf-dma-sg"),
    ("Revert \"drm/via: use the new API\"", None),
    ("Linux 5.0", None),
    ("v5.0", None),
    ("fix: : nothing", "fix"),
])
def test_tags_are_the_leading_words_ending_in_a_colon(subject, expected):
    assert prefixes.tags(subject) == expected


def commit(repo, path, subject):
    with open(repo / path, "a") as f:
        f.write("/* %s */\n" % subject)
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qam", subject)


@pytest.fixture
def small(tmp_path):
    repo = tmp_path / "r"
    (repo / "d").mkdir(parents=True)
    for name in ("x.c", "y.c"):
        (repo / "d" / name).write_text("")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    return repo


def test_history_intersects_files_and_weighs_recent_commits(small):
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c"]) is None
    for _ in range(3):
        commit(small, "d/x.c", "oldpfx: old work")
    commit(small, "d/x.c", "IB/hfi1: newer work")
    commit(small, "d/y.c", "oldpfx: a y change")
    commit(small, "d/y.c", "IB/hfi1: work on y")
    # Newest first, in five ranges of recency weighing 1, 1/2, ... 1/5.
    scores = prefixes.file_scores(str(small), "HEAD", "d/x.c")
    assert scores["IB/hfi1"] == 1.0
    assert scores["oldpfx"] == pytest.approx(1 / 2 + 1 / 3 + 1 / 4)
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c"]) == "oldpfx"
    # Over both files (1 + 1 against 1.08 + 1/3) the recent one wins.
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c", "d/y.c"]) == "IB/hfi1"


def test_history_is_none_when_a_file_has_none_or_nothing_is_common(small):
    commit(small, "d/x.c", "drm/via: x")
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c", "d/y.c"]) is None
    commit(small, "d/y.c", "drm/other: y")
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c", "d/y.c"]) is None


def test_history_follows_renames(small):
    commit(small, "d/x.c", "vhost: before the move")
    git(small, "mv", "d/x.c", "d/z.c")
    git(small, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "move")
    assert prefixes.from_history(str(small), "HEAD", ["d/z.c"]) == "vhost"


def test_assign_asks_each_files_history_once_for_all_groups(small, tmp_path, monkeypatch):
    """Two groups of one file each: two git logs side by side, each group its own prefix."""
    commit(small, "d/x.c", "drm/via: x")
    commit(small, "d/y.c", "vhost: y")
    groups = [split.Group(None, ["d/x.c"], "d"), split.Group(None, ["d/y.c"], "d")]
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(tmp_path / "trace"))
    prefixes.assign(str(small), "HEAD", groups, {})
    assert [(g.prefix, g.prefix_source) for g in groups] == [("drm/via", "history"),
                                                             ("vhost", "history")]
    logs = [line for line in (tmp_path / "trace").read_text().splitlines()
            if " log --follow " in line]
    assert sorted(line.rsplit(" ", 1)[1] for line in logs) == ["d/x.c", "d/y.c"]


@pytest.mark.parametrize("title, files, expected", [
    ("CEPH COMMON CODE (LIBCEPH)", ["net/ceph/pagevec.c"], "libceph"),
    ("KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)", ["arch/x86/kvm/mmu.c"], "KVM: x86"),
    ("VIRTIO HOST (VHOST)", ["drivers/vhost/vhost.c", "drivers/vhost/scsi.c"], "vhost"),
    # Names that are not what the files' subsystem calls itself.
    ("USERSPACE COPYIN/COPYOUT (UIOVEC)", ["lib/iov_iter.c"], None),
    ("MEDIA INPUT INFRASTRUCTURE (V4L/DVB)", ["drivers/media/v4l2-core/videobuf-dma-sg.c"],
     None),
    ("SPARC + UltraSPARC (sparc/sparc64)", ["drivers/sbus/char/oradax.c"], None),
    ("INFINIBAND SUBSYSTEM", ["drivers/infiniband/core/umem.c"], None),
])
def test_maintainers_short_name(title, files, expected):
    section = maintainers.parse("%s\nM:\tA <a@b>\n" % title)[0]
    assert prefixes.from_maintainers(section, files) == expected


def test_overrides_parse_and_refuse_nonsense(tmp_path):
    listing = tmp_path / "p"
    listing.write_text("# comment\nINFINIBAND SUBSYSTEM = RDMA/core:\n")
    assert prefixes.parse_overrides(["x86/kvm=KVM: x86"], [str(listing)]) == {
        "x86/kvm": "KVM: x86", "infiniband subsystem": "RDMA/core"}
    with pytest.raises(util.UserError, match="expected GROUP=PREFIX"):
        prefixes.parse_overrides(["nothing"])
    with pytest.raises(util.UserError, match="No such file"):
        prefixes.parse_overrides([], [str(tmp_path / "missing")])


def test_sample_tree_takes_each_groups_prefix_from_its_history(tree, tmp_path, need_spatch):
    commit(tree, "drivers/infiniband/hw/toy/umem.c", "IB/toy: tidy the pin loop")
    commit(tree, "drivers/infiniband/hw/toy/umem.c", "RDMA/toy: newer name")
    commit(tree, "arch/x86/kvm/paging_tmpl.h", "KVM: x86: walk fix")
    commit(tree, "drivers/media/toy/dma-sg.c", "media: toy-dma-sg: a fix")
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), "--prefix", "net/toy=net/toy-rdma",
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    subjects = git(tree, "log", "--reverse", "--format=%s", "master..gup-unify").splitlines()
    assert "RDMA/toy: use FOLL_LONGTERM, not get_user_pages_longterm()" in subjects
    assert "KVM: x86: pass gup_flags to get_user_pages_fast()" in subjects
    assert "media: toy-dma-sg: use FOLL_LONGTERM, not get_user_pages_longterm()" in subjects
    assert "net/toy-rdma: pass gup_flags to get_user_pages_fast()" in subjects
    assert all(len(s) < 75 for s in subjects), subjects
    summary = json.loads((tmp_path / "rep" / "linux" / "series.json").read_text())
    sources = {p["key"]: (p["prefix"], p["prefix_source"]) for p in summary["series"]
               if p["kind"] == "callers"}
    assert sources == {
        "INFINIBAND TOY DRIVER": ("RDMA/toy", "history"),
        "INFINIBAND SUBSYSTEM": ("infiniband/tiny", "path"),
        "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)": ("KVM: x86", "history"),
        "MEDIA TOY DRIVER": ("media: toy-dma-sg", "history"),
        "MEMORY MANAGEMENT": ("mm/gup_benchmark", "path"),
        "NETWORKING TOY RDMA": ("net/toy-rdma", "override"),
        "VFS IOV_ITER": ("lib/iov_iter", "path"),
    }
    report = (tmp_path / "rep" / "linux" / "series.md").read_text()
    assert "| `RDMA/toy:` (history) |" in report


def test_unknown_group_override_is_refused(tree, tmp_path, need_spatch):
    out = gup_unify("spatch", str(tree), "--prefix", "NO SUCH GROUP=x",
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    # Groups are known only after the conversion: the error ends its progress.
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.splitlines()[-1].startswith(
        "gup-unify: error: --prefix names no group: 'no such group' (the groups: INFINIBAND")
    assert git(tree, "branch", "--list", "gup-unify") == ""
