"""Subject prefixes: learned from git history per group, the way splitpatch.ml does."""
import importlib.machinery
import importlib.util
import json
import os

import pytest
from conftest import ROOT, git, gup_unify

from gupunify.common import util
from gupunify.groups import maintainers, prefixes, split


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
    scores = prefixes.history(str(small), "HEAD", ["d/x.c"])["d/x.c"]
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


def test_a_rename_between_two_files_both_read_is_followed_not_misread(small):
    """d/x.c moved to d/z.c and a new d/x.c came: with both names in one git log, git
    would show the move as one "R100 old new" entry unless told not to."""
    commit(small, "d/x.c", "vhost: before the move")
    git(small, "mv", "d/x.c", "d/z.c")
    git(small, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm",
        "vhost: move x to z")
    (small / "d" / "x.c").write_text("")
    git(small, "add", "d/x.c")
    git(small, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm",
        "drm/via: a new x")
    histories = prefixes.read_history(str(small), "HEAD", ["d/x.c", "d/z.c"])
    assert histories["d/z.c"].subjects == ["vhost: move x to z", "vhost: before the move"]
    # a path's log goes on past a delete and re-add, as git log -- path does
    assert histories["d/x.c"].subjects[0] == "drm/via: a new x"


def test_assign_reads_every_groups_history_in_one_git_log(small, tmp_path, monkeypatch):
    """Two groups of one file each: one git log for both, no --follow, each group its
    own prefix."""
    commit(small, "d/x.c", "drm/via: x")
    commit(small, "d/y.c", "vhost: y")
    groups = [split.Group(None, ["d/x.c"], "d"), split.Group(None, ["d/y.c"], "d")]
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(tmp_path / "trace"))
    prefixes.assign(str(small), "HEAD", groups, {})
    assert [(g.prefix, g.prefix_source) for g in groups] == [("drm/via", "history"),
                                                             ("vhost", "history")]
    logs = [line.split()[1:] for line in (tmp_path / "trace").read_text().splitlines()
            if " log " in line and " -- " in line]
    # (The trace keeps 300 characters of a command line.)
    assert len(logs) == 1 and "--follow" not in logs[0], logs
    assert logs[0][logs[0].index("--") + 1] == "d/x.c"


def test_the_widest_directorys_files_are_read_apart_from_the_others(small, tmp_path,
                                                                   monkeypatch):
    """git log compares each path it is given in every tree it walks: the files of the
    top-level directory holding the most are read in a log of their own, the others
    together in one more; what each file gets is what one log of all gave."""
    files = ["drivers/a/x.c", "drivers/b/y.c", "arch/x86/z.c", "mm/w.c"]
    for path in files:
        (small / path).parent.mkdir(parents=True, exist_ok=True)
        (small / path).write_text("")
    git(small, "add", "-A")
    git(small, *IDENTITY, "commit", "-qm", "add")
    for path in files + files[:2]:
        commit(small, path, "%s: a change" % path.split("/")[1])
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(tmp_path / "trace"))
    known = prefixes.history(str(small), "HEAD", files)
    assert known == {f: followed(small, f) for f in files}
    logs = [line.split()[1:] for line in (tmp_path / "trace").read_text().splitlines()
            if " log " in line and " -- " in line]
    assert [log[log.index("--") + 1:] for log in logs] == [
        ["drivers/a/x.c", "drivers/b/y.c"], ["arch/x86/z.c", "mm/w.c"]], logs


def test_a_file_named_like_pathspec_magic_has_its_own_history(small):
    """git log is given file names, not pathspecs: ':(top)w.c' is that file, not w.c."""
    for name in (":(top)w.c", "w.c"):
        (small / name).write_text("")
    git(small, "add", "--", ":(literal):(top)w.c", "w.c")
    git(small, *IDENTITY, "commit", "-qm", "add")
    commit(small, ":(top)w.c", "tee: the odd name")
    commit(small, "w.c", "vhost: the plain name")
    known = prefixes.history(str(small), "HEAD", [":(top)w.c"])
    assert known == {":(top)w.c": {"tee": 1.0}}


def test_the_migrations_header_is_not_read_before_it_is_asked_for(tree, tmp_path,
                                                                  need_spatch):
    """The files that mention the API are read while spatch runs, less the header
    that declares it (the core patches change it; include/linux/ is the widest
    directory to read a path in); no group asks for it, so it is never read."""
    trace = tmp_path / "trace"
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s", env={"GUP_UNIFY_TRACE": str(trace)})
    assert out.returncode == 0, out.stderr
    logs = [line.split()[1:] for line in trace.read_text().splitlines()
            if " log --no-merges " in line]
    read = {path for log in logs for path in log[log.index("--") + 1:]}
    assert "drivers/infiniband/hw/toy/umem.c" in read, logs
    assert "include/linux/mm.h" not in read, logs


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
        "INFINIBAND SUBSYSTEM": ("IB/tiny", "kernel style"),
        "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)": ("KVM: x86", "history"),
        "MEDIA TOY DRIVER": ("media: toy-dma-sg", "history"),
        "MEMORY MANAGEMENT": ("mm/gup_benchmark", "kernel style"),
        "NETWORKING TOY RDMA": ("net/toy-rdma", "override"),
        "VFS IOV_ITER": ("iov_iter", "kernel style"),
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


IDENTITY = ["-c", "user.name=T", "-c", "user.email=t@example.org"]


def test_an_import_commit_gives_no_prefix(small):
    """The one commit of an imported tree adds every file: its subject is no prefix."""
    git(small, *IDENTITY, "commit", "-q", "--amend", "-m", "treewide: import the tree")
    groups = [split.Group(None, ["d/x.c"], "d"), split.Group(None, ["d/y.c"], "d")]
    prefixes.assign(str(small), "HEAD", groups, {})
    assert [(g.prefix, g.prefix_source) for g in groups] == [("d: x", "kernel style"),
                                                             ("d: y", "kernel style")]
    sha = git(small, "rev-parse", "--short=12", "HEAD").strip()
    assert groups[0].prefix_why == ('history: only the import commit %s ("treewide: import '
                                    'the tree"), which adds every file; not used' % sha)
    # Commits of its own after the import give the prefix again.
    commit(small, "d/x.c", "drm/via: a fix")
    assert prefixes.from_history(str(small), "HEAD", ["d/x.c"]) == "drm/via"


def test_a_shallow_clones_edge_gives_no_prefix(small, tmp_path):
    commit(small, "d/x.c", "drm/via: a fix")
    commit(small, "d/y.c", "drm/via: another")
    git(small, *IDENTITY, "commit", "-q", "--allow-empty", "-m", "treewide: the tip")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "file://%s" % small, str(shallow))
    assert prefixes.from_history(str(shallow), "HEAD", ["d/x.c", "d/y.c"]) is None
    deeper = tmp_path / "deeper"
    git(tmp_path, "clone", "-q", "--depth", "3", "file://%s" % small, str(deeper))
    assert prefixes.from_history(str(deeper), "HEAD", ["d/y.c"]) == "drm/via"


def test_sample_imported_as_one_commit_warns_of_each_guessed_prefix(tree, tmp_path,
                                                                    need_spatch):
    """A tree whose history is one commit "treewide: import ...": no series is
    prefixed treewide, and every guess is named, on stderr and in the report, with
    the --prefix-file line that sets it."""
    git(tree, "commit", "-q", "--amend", "-m", "treewide: import the sample tree")
    sha = git(tree, "rev-parse", "--short=12", "HEAD").strip()
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    subjects = git(tree, "log", "--format=%s", "master..gup-unify").splitlines()
    assert not [s for s in subjects if s.startswith("treewide")], subjects
    why = 'history: only the import commit %s ("treewide: import the sample tree"), ' \
          'which adds every file; not used' % sha
    assert out.stderr.count("subject prefixes guessed") == 1, out.stderr
    assert "7 subject prefixes guessed, not taken from the files' history" in out.stderr
    warned = [line[2:] for line in out.stderr.splitlines() if line.startswith("  ")]
    assert warned[0] == "# kernel style; %s" % why
    assert "INFINIBAND SUBSYSTEM=IB/tiny" in warned
    assert "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)=KVM: x86" in warned
    assert len(warned) == 8, warned
    report = (tmp_path / "rep" / "linux" / "series.md").read_text()
    assert "## Subject prefixes guessed (7): check these" in report
    assert "\n".join(warned) in report
    conversion = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "\n".join(warned) in conversion
    # The warning's lines are a --prefix-file: with them, no group is a guess.
    listing = tmp_path / "prefixes"
    listing.write_text("\n".join(warned).replace("media: toy", "media: toy-dma-sg") + "\n")
    again = gup_unify("series", str(tree), "--branch", "again", "--output",
                      str(tmp_path / "out2"), "--reports", str(tmp_path / "rep2"),
                      "--prefix-file", str(listing), scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr
    assert "subject prefixes guessed" not in again.stderr
    summary = json.loads((tmp_path / "rep2" / "linux" / "series.json").read_text())
    assert {p["key"]: (p["prefix"], p["prefix_source"]) for p in summary["series"]
            if p["key"] == "MEDIA TOY DRIVER"} == {
        "MEDIA TOY DRIVER": ("media: toy-dma-sg", "override")}


@pytest.mark.parametrize("files, expected", [
    (["drivers/gpu/drm/via/via_dmablit.c"], "drm/via"),
    (["drivers/video/fbdev/pvr2fb.c"], "fbdev: pvr2fb"),
    (["kernel/futex.c"], "futex"),
    (["drivers/scsi/st.c"], "scsi: st"),
    (["drivers/staging/gasket/gasket_page_table.c"], "staging: gasket"),
    (["drivers/staging/vc04_services/interface/vchiq_arm/vchiq_2835_arm.c"],
     "staging: vc04_services"),
    (["drivers/infiniband/core/umem.c", "drivers/infiniband/hw/hfi1/user_pages.c",
      "drivers/infiniband/hw/usnic/usnic_uiom.c"], "RDMA"),
    (["drivers/infiniband/hw/hfi1/user_pages.c"], "IB/hfi1"),
    (["drivers/misc/genwqe/card_utils.c", "drivers/misc/vmw_vmci/vmci_host.c"], "misc"),
    (["arch/powerpc/kvm/book3s_64_mmu_hv.c", "arch/powerpc/kvm/e500_mmu.c"], "KVM: PPC"),
    (["arch/s390/kvm/interrupt.c"], "KVM: s390"),
    (["arch/powerpc/mm/mmu_context_iommu.c"], "powerpc/mm"),
    # 6.1's callers of the vmas change, in a one-commit import with no history
    (["arch/x86/kernel/cpu/sgx/ioctl.c"], "x86/sgx"),
    (["arch/arm64/kernel/mte.c"], "arm64/mte"),
    (["arch/x86/kernel/cpu/mce/core.c"], "x86/mce"),
    (["arch/x86/kernel/cpu/common.c"], "x86/cpu"),
    (["drivers/vfio/vfio_iommu_spapr_tce.c", "drivers/vfio/vfio_iommu_type1.c"], "vfio"),
    (["drivers/xen/gntdev.c"], "xen/gntdev"),
    (["drivers/vhost/vhost.c"], "vhost"),
    (["net/xdp/xdp_umem.c"], "xsk"),
    (["net/rds/info.c", "net/rds/rdma.c"], "net/rds"),
    (["net/ceph/pagevec.c"], "libceph"),
    (["fs/orangefs/orangefs-bufmap.c"], "orangefs"),
    (["lib/iov_iter.c"], "iov_iter"),
    (["mm/gup_benchmark.c"], "mm/gup_benchmark"),
    (["mm/gup.c", "mm/gup_benchmark.c"], "mm"),
    (["Makefile"], "Makefile"),
    (["kernel/events/core.c"], "perf"),
    (["virt/kvm/kvm_main.c"], "KVM"),
])
def test_kernel_style_when_history_gives_none(files, expected):
    """The forms those subsystems' own subjects take (git log of their files, 2019)."""
    assert prefixes.from_kernel_style(files) == expected


def test_kvm_writes_its_arch_its_own_way_over_the_maintainers_name(small):
    section = maintainers.parse("KERNEL VIRTUAL MACHINE FOR POWERPC (KVM/powerpc)\n"
                                "M:\tA <a@b>\n")[0]
    group = split.Group(section, ["arch/powerpc/kvm/e500_mmu.c"])
    prefixes.assign(str(small), "HEAD", [group], {})
    assert (group.prefix, group.prefix_source) == ("KVM: PPC", "kernel style")
    ceph = split.Group(maintainers.parse("CEPH COMMON CODE (LIBCEPH)\nM:\tA <a@b>\n")[0],
                       ["net/ceph/pagevec.c"])
    prefixes.assign(str(small), "HEAD", [ceph], {})
    assert (ceph.prefix, ceph.prefix_source) == ("libceph", "MAINTAINERS")


def test_follow_only_for_a_file_made_by_a_rename_with_too_few_commits(small, tmp_path,
                                                                      monkeypatch):
    commit(small, "d/x.c", "vhost: before the move")
    git(small, "mv", "d/x.c", "d/z.c")
    git(small, *IDENTITY, "commit", "-qm", "vhost: move x to z")
    commit(small, "d/y.c", "drm/via: y")
    monkeypatch.setenv("GUP_UNIFY_TRACE", str(tmp_path / "trace"))
    known = prefixes.history(str(small), "HEAD", ["d/y.c", "d/z.c"])
    assert known["d/z.c"] == {"vhost": 1.0 + 1.0 / 3}
    follows = [line.split()[1:] for line in (tmp_path / "trace").read_text().splitlines()
               if " --follow " in line]
    assert len(follows) == 1 and follows[0][-1] == "d/x.c", follows


def test_history_read_is_bounded(small, monkeypatch):
    """Only the RECENT * DEEPER last commits are read, however long the history."""
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1499999940 +0000")
    git(small, *IDENTITY, "commit", "-q", "--amend", "-m", "base")
    for n, (path, subject) in enumerate([("d/x.c", "drm/via: long ago")] +
                                        [("d/y.c", "vhost: %d" % n) for n in range(8)]):
        # A minute apart: the windows end at commit dates.
        monkeypatch.setenv("GIT_COMMITTER_DATE", "@%d +0000" % (1500000000 + 60 * n))
        commit(small, path, subject)
    monkeypatch.setattr(prefixes, "RECENT", 3)
    monkeypatch.setattr(prefixes, "DEEPER", 2)
    known = prefixes.History(str(small), "HEAD").histories(["d/x.c", "d/y.c"])
    assert known["d/y.c"].subjects == ["vhost: %d" % n for n in range(7, 1, -1)]
    assert known["d/x.c"].subjects == []
    assert prefixes.why_not_history({"d/x.c": known["d/x.c"]}) == \
        "history: the file has no commit among the last 6 read"
    monkeypatch.setattr(prefixes, "DEEPER", 3)
    monkeypatch.setattr(prefixes, "_read_before", {})
    known = prefixes.History(str(small), "HEAD").histories(["d/x.c", "d/y.c"])
    assert known["d/x.c"].subjects == ["drm/via: long ago"]


def test_a_rename_is_followed_no_further_back_than_the_windows(small, monkeypatch):
    """A file made by a rename, with too few commits since: its old name's commits are
    read back to where the windows end, not to the root, and the report says so."""
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1499999940 +0000")
    git(small, *IDENTITY, "commit", "-q", "--amend", "-m", "base")
    steps = [("d/x.c", "drm/via: long ago")] + [("d/y.c", "vhost: %d" % n) for n in range(3)]
    for n, (path, subject) in enumerate(steps):
        # A minute apart: the windows end at commit dates.
        monkeypatch.setenv("GIT_COMMITTER_DATE", "@%d +0000" % (1500000000 + 60 * n))
        commit(small, path, subject)
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@%d +0000" % (1500000000 + 60 * len(steps)))
    git(small, "mv", "d/x.c", "d/z.c")
    git(small, *IDENTITY, "commit", "-qm", "Move x to z")
    monkeypatch.setattr(prefixes, "RECENT", 2)
    monkeypatch.setattr(prefixes, "DEEPER", 2)
    known = prefixes.History(str(small), "HEAD").histories(["d/z.c"])
    assert known["d/z.c"].subjects == ["Move x to z"]
    assert prefixes.why_not_history(known) == \
        "history: no subject with a prefix among the last 4 read"
    monkeypatch.setattr(prefixes, "DEEPER", 3)
    monkeypatch.setattr(prefixes, "_read_before", {})
    known = prefixes.History(str(small), "HEAD").histories(["d/z.c"])
    assert known["d/z.c"].subjects == ["Move x to z", "drm/via: long ago"]
    assert prefixes.from_history(str(small), "HEAD", ["d/z.c"]) == "drm/via"


def test_the_older_window_adds_only_to_files_short_of_commits_and_not_made_in_the_newer(
        small, monkeypatch):
    """The window further back is read beside the first, for every file; what it finds
    goes only to a file with fewer than HISTORY_DEPTH commits in the first, and not
    to one the first saw added (a name used again: its old commits are another file's)."""
    steps = [("add", "d/n.c", "net: n first"), ("rm", "d/n.c", "net: n removed"),
             ("edit", "d/y.c", "vhost: 0"), ("add", "d/n.c", "gpu: n again"),
             ("edit", "d/y.c", "vhost: 1"), ("edit", "d/y.c", "vhost: 2")]
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1499999940 +0000")
    git(small, *IDENTITY, "commit", "-q", "--amend", "-m", "base")
    for n, (what, path, subject) in enumerate(steps):
        # A minute apart: the windows end at commit dates.
        monkeypatch.setenv("GIT_COMMITTER_DATE", "@%d +0000" % (1500000000 + 60 * n))
        if what == "rm":
            git(small, "rm", "-q", path)
            git(small, *IDENTITY, "commit", "-qm", subject)
        elif what == "add":
            (small / path).write_text("/* %s */\n" % subject)
            git(small, "add", path)
            git(small, *IDENTITY, "commit", "-qm", subject)
        else:
            commit(small, path, subject)
    monkeypatch.setattr(prefixes, "RECENT", 3)
    monkeypatch.setattr(prefixes, "DEEPER", 2)
    monkeypatch.setattr(prefixes, "HISTORY_DEPTH", 2)
    known = prefixes.History(str(small), "HEAD").histories(["d/n.c", "d/x.c", "d/y.c"])
    assert known["d/y.c"].subjects == ["vhost: 2", "vhost: 1"]
    assert known["d/n.c"].subjects == ["gpu: n again"]
    assert known["d/x.c"].subjects == []
    monkeypatch.setattr(prefixes, "HISTORY_DEPTH", 30)
    monkeypatch.setattr(prefixes, "_read_before", {})
    known = prefixes.History(str(small), "HEAD").histories(["d/n.c", "d/y.c"])
    assert known["d/y.c"].subjects == ["vhost: 2", "vhost: 1", "vhost: 0"]
    assert known["d/n.c"].subjects == ["gpu: n again"]


def followed(repo, path):
    """What prefix learning read before: git log --follow of each file on its own."""
    out = git(repo, "log", "--follow", "--no-merges", "-n", str(prefixes.HISTORY_DEPTH),
              "--format=%s", "HEAD", "--", path)
    return prefixes.weigh(out.splitlines())


def synthetic_history(tree, count, where):
    """The bench's history of count commits behind tree's last one (scripts/bench-history)."""
    loader = importlib.machinery.SourceFileLoader(
        "bench_history", os.path.join(ROOT, "scripts", "bench-history"))
    bench = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(bench)
    return bench.build(str(tree), count, str(where))


def test_one_pass_reads_what_follow_read_on_merges_and_renames(tree, tmp_path):
    """On the sample behind a synthetic history (merges, renames, skew), every file's
    weighed subjects are those of git log --follow."""
    repo = synthetic_history(tree, 2500, tmp_path / "history")
    files = git(repo, "ls-files").split()
    known = prefixes.history(repo, "HEAD", files)
    assert known == {f: followed(repo, f) for f in files}
    assert len([f for f in files if known[f]]) > len(files) / 2


def test_real_tree_behind_a_history_keeps_the_prefixes_follow_gave(tmp_path, kernel_tree):
    """GUP_KERNEL_TREE (v5.1.15, v5.0) behind 4000 synthetic commits: each caller
    file's weighed subjects, so each group's prefix, are those of git log --follow."""
    repo = synthetic_history(kernel_tree, 4000, tmp_path / "history")
    files = git(repo, "grep", "-l", "-w", "-e", "get_user_pages_fast", "-e",
                "get_user_pages_longterm", "--", "*.c").split()
    known = prefixes.history(repo, "HEAD", files)
    assert known == {f: followed(repo, f) for f in files}
    assert len([f for f in files if known[f]]) > 10
